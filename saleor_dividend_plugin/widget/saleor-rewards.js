/*
 * <saleor-rewards>: the customer's rewards panel for any storefront.
 *
 * Plain JavaScript, no build step and no dependency. It talks only to the plugin's published
 * GraphQL API (the `endpoint` attribute) with the customer's Saleor access token: the `token`
 * attribute, or a `getToken({refresh})` callback for a token that refreshes. The README's
 * "Storefront widget" section lists the attributes, events, CSS custom properties and parts.
 */
(() => {
  "use strict";

  if (customElements.get("saleor-rewards")) return;

  const DEFAULT_STRINGS = {
    title: "Rewards",
    signedInTitle: "Your rewards",
    loading: "Loading rewards…",
    notConfigured: "The rewards panel needs its endpoint attribute: the rewards GraphQL URL.",
    networkError: "The rewards service could not be reached. Please try again.",
    retry: "Try again",
    sessionEnded: "Your session has ended. Sign in again to see your rewards.",
    signIn: "Sign in",
    signInPrompt: "Sign in to see your points, store credit and orders in the free-order queue.",
    points: "Points",
    pointsWorth: "Worth {amount} today",
    pointValue: "1 point = {value}",
    wallet: "Store credit",
    walletHint: "Spend it at checkout as a gift card.",
    energy: "Up to {amount} more to come from daily releases",
    tier: "Tier",
    tierNext: "{amount} more to reach {tier}",
    tierTop: "You have reached the highest tier.",
    tierProgress: "Progress to {tier}",
    actionsTitle: "Use your rewards",
    redeem: "Redeem points",
    giftCard: "Get a gift card",
    withdraw: "Withdraw credit",
    referrer: "Enter a referral code",
    redeemPoints: "Points to redeem",
    redeemHelp: "At least {min} points. Each point pays {value}; the total is rounded down to {unit}.",
    redeemPreview: "{points} points pay {amount}.",
    redeemNotEnough: "You can redeem from {min} points; you have {points}.",
    redeemToGiftCard: "Put the credit straight on a gift card",
    redeemConfirm: "Redeem {points} points for {amount}?",
    redeemConfirmGiftCard: "Redeem {points} points for a gift card of {amount}?",
    redeemDone: "{amount} was added to your store credit.",
    giftCardAmount: "Amount",
    giftCardHelp: "Up to {amount}, your store credit.",
    giftCardConfirm: "Turn {amount} of store credit into a gift card?",
    giftCardDone: "Your gift card of {amount} is ready.",
    giftCardCode: "Gift card code",
    giftCardUse: "Enter the code at checkout.",
    withdrawAmount: "Amount",
    withdrawHelp: "At least {min}, up to {max}. Staff pay it out after reviewing the request.",
    withdrawDetails: "Where should we pay it?",
    withdrawDetailsHelp: "For example your bank account (IBAN).",
    withdrawConfirm: "Ask to withdraw {amount}?",
    withdrawDone: "Your withdrawal request of {amount} was sent.",
    referrerCode: "Referral code of the friend who invited you",
    referrerHelp: "Only possible before your first paid order.",
    referrerDone: "{code} is now recorded as your referrer.",
    continue: "Continue",
    confirm: "Confirm",
    cancel: "Cancel",
    close: "Close",
    working: "Working…",
    alreadyDone: "This was already done.",
    invalidPoints: "Enter a whole number of points.",
    invalidAmount: "Enter an amount such as {example}.",
    tooMuch: "That is more than you have.",
    belowMinimum: "The minimum is {min}.",
    required: "Please fill this in.",
    queueTitle: "Your orders in the free-order queue",
    queueEmpty: "None of your orders is waiting in the queue.",
    queueOrder: "Order #{number}",
    queuePosition: "Position {position} in the queue",
    queueReceived: "{received} of {target} received",
    queueRemaining: "{amount} still to come",
    releasesTitle: "Recent daily releases",
    releasesEmpty: "No releases yet.",
    historyTitle: "History",
    historyEmpty: "Nothing here yet.",
    historyCount: "Showing {shown} of {total}",
    historyMore: "Show more",
    historyDate: "Date",
    historyWhat: "What",
    historyChange: "Change",
    historyOrder: "order #{number}",
    pointsAmount: "{points} points",
    referralTitle: "Invite friends",
    referralCode: "Your referral code",
    referralHint: "Friends enter it before their first order.",
    referralPending: "You get a referral code with your first paid order.",
    referredBy: "You were referred by {code}.",
    copy: "Copy",
    copyCode: "Copy code",
    copied: "Copied to the clipboard.",
    copyFailed: "Copying is not possible here; select the code and copy it.",
    share: "Share",
    shareText: "Shop with my referral code {code}",
    giftCardsTitle: "Your gift cards",
    withdrawalsTitle: "Withdrawal requests",
    howItWorks: "How it works",
    howEarn: "Earn points on every order: {points} per {unit} spent.",
    howValue: "Each point is worth {value} today. Redeem points for store credit from {min} points.",
    howQueue:
      "Every paid order joins the free-order queue: later orders pay it back, up to {percent} of its amount, as store credit.",
    howExpiry: "Points can be used for {days} days after you earn them.",
    howTiers:
      "The more you spend, the higher your tier: higher tiers earn more points and a larger share of the daily release.",
    tiersTitle: "Tiers",
    tierFrom: "from {amount}",
    tierMultiplier: "Points × {multiplier}",
    kinds: {
      ORDER_REWARD: "Order reward",
      ORDER_REFUND: "Refund",
      REFERRAL_REWARD: "Referral reward",
      QUEUE_PAYOUT: "Free-order queue payout",
      QUEUE_CLAWBACK: "Queue payout returned",
      DAILY_RELEASE: "Daily release",
      POINTS_REDEMPTION: "Points redeemed",
      POINTS_EXPIRY: "Points expired",
      GIFT_CARD: "Gift card",
      WITHDRAWAL_REQUEST: "Withdrawal requested",
      WITHDRAWAL_APPROVED: "Withdrawal paid",
      WITHDRAWAL_REJECTED: "Withdrawal rejected",
      POINTS_ADJUSTMENT: "Points correction",
      WALLET_ADJUSTMENT: "Store credit correction",
    },
    accounts: {
      POINTS: "points",
      ENERGY: "energy",
      CONTRIBUTION: "contribution",
      WALLET: "store credit",
    },
    withdrawalStatus: { REQUESTED: "waiting for review", APPROVED: "paid", REJECTED: "rejected" },
  };

  const MONEY = "amount currency";
  const ACCOUNT = `
    id points pointValue pointsWorth { ${MONEY} } wallet { ${MONEY} } energy { ${MONEY} }
    contribution { ${MONEY} }
    tier { code name minContribution { amount } }
    nextTier { code name minContribution { amount } }
    contributionToNextTier { ${MONEY} }
    referralCode referrerCode
    queueEntries(first: 10, filter: {statuses: [WAITING]}) {
      totalCount
      edges { node { id orderNumber position target { ${MONEY} } received { ${MONEY} } remaining { ${MONEY} } } }
    }
    releases(first: 5) { edges { node { id day amount { ${MONEY} } } } }
    giftCards(first: 3) { edges { node { id code amount { ${MONEY} } createdAt } } }
    withdrawals(first: 3) { edges { node { id status amount { ${MONEY} } requestedAt } } }`;
  const HISTORY = `
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id createdAt day kind account amount currency orderNumber } }`;
  const PANEL_QUERY = `query SaleorRewardsPanel($historyFirst: Int!) {
    rewardProgram {
      currency pointsPerUnit pointsMinRedemption pointsExpireDays freeRatio withdrawalsEnabled
      minWithdrawal { ${MONEY} }
    }
    pointValue { value currency }
    dividendPool { enabled }
    rewardTiers { code name minContribution { ${MONEY} } pointsMultiplier }
    rewardAccount { ${ACCOUNT} history(first: $historyFirst) { ${HISTORY} } }
  }`;
  const HISTORY_QUERY = `query SaleorRewardsHistory($first: Int!, $after: String) {
    rewardAccount { history(first: $first, after: $after) { ${HISTORY} } }
  }`;
  const GIFT_CARD = `giftCard { code amount { ${MONEY} } }`;
  const MUTATIONS = {
    redeem: {
      field: "pointsRedeem",
      query: `mutation SaleorRewardsRedeem($points: Decimal!, $toGiftCard: Boolean, $idempotencyKey: String) {
        pointsRedeem(points: $points, toGiftCard: $toGiftCard, idempotencyKey: $idempotencyKey) {
          errors { field code message } credit { ${MONEY} } ${GIFT_CARD}
        }
      }`,
    },
    giftCard: {
      field: "walletConvertToGiftCard",
      query: `mutation SaleorRewardsGiftCard($amount: Decimal!, $currency: String, $idempotencyKey: String) {
        walletConvertToGiftCard(amount: $amount, currency: $currency, idempotencyKey: $idempotencyKey) {
          errors { field code message } ${GIFT_CARD}
        }
      }`,
    },
    withdraw: {
      field: "withdrawalRequest",
      query: `mutation SaleorRewardsWithdraw($amount: Decimal!, $details: String!, $currency: String, $idempotencyKey: String) {
        withdrawalRequest(amount: $amount, details: $details, currency: $currency, idempotencyKey: $idempotencyKey) {
          errors { field code message } withdrawal { id amount { ${MONEY} } }
        }
      }`,
    },
    referrer: {
      field: "referrerSet",
      // Refused once set (REFERRER_ALREADY_SET): the API needs no idempotency key for it.
      query: `mutation SaleorRewardsReferrer($code: String!) {
        referrerSet(code: $code) { errors { field code message } account { referrerCode } }
      }`,
    },
  };
  const TOKEN_ERRORS = new Set(["ExpiredSignatureError", "InvalidTokenError"]);

  const STYLE = `
    :host {
      --_accent: var(--saleor-rewards-accent, #3b3dbf);
      --_accent-contrast: var(--saleor-rewards-accent-contrast, #ffffff);
      --_accent-soft: var(--saleor-rewards-accent-soft, #eef0ff);
      --_text: var(--saleor-rewards-color, #1d2133);
      --_muted: var(--saleor-rewards-muted, #5d6378);
      --_background: var(--saleor-rewards-background, #ffffff);
      --_surface: var(--saleor-rewards-surface, #f6f7fb);
      --_border: var(--saleor-rewards-border, #e1e4ee);
      --_radius: var(--saleor-rewards-radius, 12px);
      --_gap: var(--saleor-rewards-spacing, 16px);
      --_error: var(--saleor-rewards-error, #b42318);
      --_success: var(--saleor-rewards-success, #067647);
      --_focus: var(--saleor-rewards-focus, #3b3dbf);
      display: block;
      color: var(--_text);
      font-family: var(--saleor-rewards-font, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif);
      font-size: var(--saleor-rewards-font-size, 15px);
      line-height: 1.45;
    }
    [hidden] { display: none !important; }
    * { box-sizing: border-box; }
    .panel {
      background: var(--_background); border: 1px solid var(--_border); border-radius: var(--_radius);
      padding: calc(var(--_gap) * 1.5); display: grid; gap: calc(var(--_gap) * 1.25);
    }
    .header { display: flex; align-items: center; justify-content: space-between; gap: var(--_gap); flex-wrap: wrap; }
    h2 { margin: 0; font-size: 1.45em; letter-spacing: -0.01em; }
    h3 { margin: 0 0 calc(var(--_gap) * 0.6); font-size: 1.05em; }
    p { margin: 0; }
    .muted { color: var(--_muted); font-size: 0.92em; }
    .badge {
      display: inline-flex; align-items: center; gap: 6px; padding: 4px 12px; border-radius: 999px;
      background: var(--_accent-soft); color: var(--_accent); font-weight: 600; font-size: 0.9em;
    }
    .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: var(--_gap); }
    .card {
      background: var(--_surface); border-radius: calc(var(--_radius) * 0.8); padding: var(--_gap);
      display: grid; gap: 4px; align-content: start;
    }
    .label { color: var(--_muted); font-size: 0.85em; text-transform: uppercase; letter-spacing: 0.06em; font-weight: 600; }
    .figure { font-size: 1.9em; font-weight: 700; letter-spacing: -0.02em; font-variant-numeric: tabular-nums; }
    .figure.small { font-size: 1.35em; }
    .progress { height: 8px; border-radius: 999px; background: var(--_border); overflow: hidden; margin: 6px 0 2px; }
    .progress-bar { height: 100%; background: var(--_accent); border-radius: inherit; min-width: 4px; }
    .actions { display: flex; flex-wrap: wrap; gap: 10px; }
    button {
      font: inherit; cursor: pointer; border-radius: calc(var(--_radius) * 0.7); padding: 9px 16px;
      border: 1px solid var(--_border); background: var(--_background); color: var(--_text); font-weight: 600;
    }
    button:hover { border-color: var(--_accent); }
    button.primary { background: var(--_accent); border-color: var(--_accent); color: var(--_accent-contrast); }
    button[aria-expanded="true"] { background: var(--_accent-soft); border-color: var(--_accent); color: var(--_accent); }
    button:disabled { opacity: 0.55; cursor: not-allowed; }
    button.link { border: 0; background: none; padding: 4px 0; color: var(--_accent); text-decoration: underline; }
    :focus-visible { outline: 3px solid var(--_focus); outline-offset: 2px; }
    form, .form {
      border: 1px solid var(--_border); border-radius: calc(var(--_radius) * 0.8); padding: var(--_gap);
      display: grid; gap: 10px; background: var(--_background);
    }
    label { font-weight: 600; }
    input, textarea {
      font: inherit; color: inherit; background: var(--_background); border: 1px solid var(--_border);
      border-radius: calc(var(--_radius) * 0.6); padding: 9px 12px; width: 100%; max-width: 420px;
    }
    input[type="checkbox"] { width: auto; margin: 0 8px 0 0; }
    .check { display: flex; align-items: center; font-weight: 400; }
    .row { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
    .error { color: var(--_error); font-weight: 600; }
    .success { color: var(--_success); font-weight: 600; }
    .code {
      font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 1.15em; font-weight: 700;
      letter-spacing: 0.08em; background: var(--_surface); border: 1px dashed var(--_accent);
      border-radius: calc(var(--_radius) * 0.6); padding: 6px 12px;
    }
    .columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: calc(var(--_gap) * 1.25); }
    ul.list { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; }
    ul.list li { background: var(--_surface); border-radius: calc(var(--_radius) * 0.6); padding: 10px 12px; display: grid; gap: 2px; }
    .line { display: flex; justify-content: space-between; gap: 12px; }
    table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
    caption { text-align: left; }
    th, td { text-align: left; padding: 8px 6px; border-bottom: 1px solid var(--_border); }
    th { color: var(--_muted); font-size: 0.85em; font-weight: 600; }
    td.amount, th.amount { text-align: right; white-space: nowrap; }
    .positive { color: var(--_success); }
    ol.tiers { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
    ol.tiers li { background: var(--_surface); border-radius: calc(var(--_radius) * 0.6); padding: 12px; display: grid; gap: 2px; }
    ul.how { margin: 0; padding-left: 1.2em; display: grid; gap: 6px; }
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  `;

  // Decimal strings as BigInt counts of 10^-scale units: money is never a float here.
  function toUnits(text, scale) {
    const match = /^(-?)(\d*)(?:\.(\d*))?$/.exec(String(text).trim());
    if (!match) return null;
    const fraction = ((match[3] || "") + "0".repeat(scale)).slice(0, scale);
    const units = BigInt(match[2] || "0") * 10n ** BigInt(scale) + BigInt(fraction || "0");
    return match[1] ? -units : units;
  }

  function fromUnits(units, scale) {
    const negative = units < 0n;
    const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
    const whole = digits.slice(0, digits.length - scale);
    const fraction = scale ? "." + digits.slice(digits.length - scale) : "";
    return (negative ? "-" : "") + whole + fraction;
  }

  function decimals(text) {
    const dot = String(text).indexOf(".");
    return dot < 0 ? 0 : String(text).length - dot - 1;
  }

  function idempotencyKey() {
    // crypto.randomUUID needs a secure context; getRandomValues works on any storefront.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return "widget-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function h(tag, attributes, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
      else if (name === "className") element.className = value;
      else if (name === "value") element.value = value;
      else if (name === "checked") element.checked = Boolean(value);
      // Through the CSSOM rather than a style attribute, which a strict CSP refuses.
      else if (name === "style") Object.assign(element.style, value);
      else element.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  class TokenError extends Error {}

  class SaleorRewards extends HTMLElement {
    static get observedAttributes() {
      return ["endpoint", "token", "locale", "history-page-size", "referral-url"];
    }

    constructor() {
      super();
      this._strings = DEFAULT_STRINGS;
      this._getToken = null;
      this._state = { status: "loading" };
      this._action = null;
      this._loads = 0;
      this._connected = false;
      this._pending = null;
      this.attachShadow({ mode: "open" });
      this._status = h("div", { role: "status", "aria-live": "polite", className: "visually-hidden", part: "status" });
      this._root = h("div", {});
      // A constructed style sheet is not inline CSS, so a storefront's CSP does not block it.
      if ("adoptedStyleSheets" in Document.prototype && "replaceSync" in CSSStyleSheet.prototype) {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(STYLE);
        this.shadowRoot.adoptedStyleSheets = [sheet];
      } else {
        const style = document.createElement("style");
        style.textContent = STYLE;
        this.shadowRoot.append(style);
      }
      this.shadowRoot.append(this._status, this._root);
    }

    /** Every text the panel shows, merged over the English defaults (nested: kinds, accounts). */
    get strings() {
      return this._strings;
    }

    set strings(value) {
      const merged = { ...DEFAULT_STRINGS, ...(value || {}) };
      for (const nested of ["kinds", "accounts", "withdrawalStatus"]) {
        merged[nested] = { ...DEFAULT_STRINGS[nested], ...((value || {})[nested] || {}) };
      }
      this._strings = merged;
      this._render();
    }

    /** `async ({refresh}) => token | null`: asked again with refresh true once a token expired. */
    get getToken() {
      return this._getToken;
    }

    set getToken(callback) {
      this._getToken = typeof callback === "function" ? callback : null;
      if (this._connected) this.refresh();
    }

    connectedCallback() {
      // A storefront may set properties before this script has loaded: they sit on the element
      // itself and would hide the class's accessors, so take them over.
      for (const name of ["strings", "getToken"]) {
        if (Object.prototype.hasOwnProperty.call(this, name)) {
          const value = this[name];
          delete this[name];
          this[`_${name}Pending`] = value;
        }
      }
      if (this._stringsPending !== undefined) this.strings = this._stringsPending;
      if (this._getTokenPending !== undefined) this._getToken = typeof this._getTokenPending === "function" ? this._getTokenPending : null;
      this._stringsPending = this._getTokenPending = undefined;
      this._connected = true;
      this.refresh();
    }

    disconnectedCallback() {
      this._connected = false;
    }

    attributeChangedCallback(name, previous, value) {
      if (previous !== value && this._connected) this.refresh();
    }

    /** Reads everything again, e.g. after the customer signed in or placed an order. Changes
     * made together (several attributes, a token and its callback) cause one read. */
    refresh() {
      if (!this._pending) {
        this._pending = Promise.resolve().then(() => {
          this._pending = null;
          return this._load();
        });
      }
      return this._pending;
    }

    // ---- talking to the API -------------------------------------------------------------------

    async _token(refresh) {
      if (this._getToken) return (await this._getToken({ refresh })) || null;
      return this.getAttribute("token") || null;
    }

    async _post(query, variables, token) {
      const headers = { "Content-Type": "application/json" };
      if (token) headers.Authorization = `Bearer ${token}`;
      let response;
      try {
        response = await fetch(this.getAttribute("endpoint"), {
          method: "POST",
          headers,
          body: JSON.stringify({ query, variables }),
          credentials: "omit",
        });
      } catch (error) {
        throw new Error(this._strings.networkError);
      }
      let body;
      try {
        body = await response.json();
      } catch (error) {
        throw new Error(this._strings.networkError);
      }
      return body;
    }

    /** One GraphQL request. An expired token is refreshed once (through getToken) and the same
     * request, idempotency key included, sent again: the first one ran nothing. */
    async _request(query, variables) {
      let token = await this._token(false);
      let body = await this._post(query, variables, token);
      if (this._errorCode(body) === "ExpiredSignatureError" && this._getToken) {
        token = await this._token(true);
        body = await this._post(query, variables, token);
      }
      const code = this._errorCode(body);
      if (TOKEN_ERRORS.has(code)) throw new TokenError(body.errors[0].message);
      if (body.errors && body.errors.length) throw new Error(body.errors[0].message || this._strings.networkError);
      return body.data;
    }

    _errorCode(body) {
      const error = body && body.errors && body.errors[0];
      return error && error.extensions && error.extensions.exception && error.extensions.exception.code;
    }

    async _load() {
      const load = ++this._loads;
      if (!this.getAttribute("endpoint")) {
        this._state = { status: "error", error: this._strings.notConfigured };
        this._render();
        return;
      }
      if (this._state.status !== "ready") {
        this._state = { status: "loading" };
        this._render();
      }
      try {
        const data = await this._request(PANEL_QUERY, { historyFirst: this._pageSize() });
        if (load !== this._loads) return;
        const account = data.rewardAccount;
        this._state = {
          status: "ready",
          program: data.rewardProgram,
          pointValue: data.pointValue,
          pool: data.dividendPool,
          tiers: data.rewardTiers,
          account,
          history: account ? account.history : null,
        };
      } catch (error) {
        if (load !== this._loads) return;
        if (error instanceof TokenError) {
          // Show the program to a visitor whose session ended, and say so.
          this._state = { status: "loading", sessionEnded: true };
          return this._loadAnonymous(load);
        }
        this._state = { status: "error", error: error.message };
      }
      this._render();
    }

    async _loadAnonymous(load) {
      try {
        const body = await this._post(PANEL_QUERY, { historyFirst: 1 }, null);
        if (load !== this._loads) return;
        if (body.errors && body.errors.length) throw new Error(body.errors[0].message);
        const data = body.data;
        this._state = {
          status: "ready",
          sessionEnded: true,
          program: data.rewardProgram,
          pointValue: data.pointValue,
          pool: data.dividendPool,
          tiers: data.rewardTiers,
          account: null,
        };
      } catch (error) {
        this._state = { status: "error", error: error.message };
      }
      this._render();
    }

    async _moreHistory() {
      const history = this._state.history;
      this._state.historyBusy = true;
      this._render();
      try {
        const data = await this._request(HISTORY_QUERY, { first: this._pageSize(), after: history.pageInfo.endCursor });
        const page = data.rewardAccount.history;
        this._state.history = { ...page, edges: history.edges.concat(page.edges) };
        this._state.historyBusy = false;
        // The first new row takes the focus, so a keyboard user continues where they were.
        this._focusKey = `history-${history.edges.length}`;
      } catch (error) {
        this._state.historyBusy = false;
        this._state.historyError = error.message;
      }
      this._render();
    }

    _pageSize() {
      const size = parseInt(this.getAttribute("history-page-size") || "10", 10);
      return Math.min(Math.max(Number.isFinite(size) ? size : 10, 1), 100);
    }

    // ---- formatting ---------------------------------------------------------------------------

    _locale() {
      const attribute = this.getAttribute("locale") || (this.closest("[lang]") || {}).lang;
      return attribute || navigator.language || "en";
    }

    _currency() {
      return this._state.program ? this._state.program.currency : "USD";
    }

    _minorDigits() {
      return new Intl.NumberFormat("en", { style: "currency", currency: this._currency() }).resolvedOptions()
        .maximumFractionDigits;
    }

    _money(amount, currency) {
      // A decimal string is formatted exactly by Intl.NumberFormat (no float on the way).
      return new Intl.NumberFormat(this._locale(), { style: "currency", currency: currency || this._currency() }).format(
        amount
      );
    }

    _rate(value) {
      // A point's value: up to 4 decimals, never rounded up.
      const minor = this._minorDigits();
      return new Intl.NumberFormat(this._locale(), {
        style: "currency",
        currency: this._currency(),
        minimumFractionDigits: minor,
        maximumFractionDigits: Math.max(minor, 4),
        roundingMode: "trunc",
      }).format(value);
    }

    _number(value) {
      return new Intl.NumberFormat(this._locale(), { maximumFractionDigits: 8 }).format(value);
    }

    _day(text) {
      const [year, month, day] = text.slice(0, 10).split("-").map(Number);
      return new Intl.DateTimeFormat(this._locale(), { dateStyle: "medium", timeZone: "UTC" }).format(
        new Date(Date.UTC(year, month - 1, day))
      );
    }

    _t(key, values) {
      const template = this._strings[key] === undefined ? DEFAULT_STRINGS[key] : this._strings[key];
      return String(template).replace(/\{(\w+)\}/g, (whole, name) =>
        values && values[name] !== undefined ? values[name] : whole
      );
    }

    _credit(points) {
      // points x value rounded down to the minor unit, exactly as the API pays it.
      const value = this._state.account.pointValue;
      const scale = decimals(value);
      const minor = this._minorDigits();
      const credit = (BigInt(points) * toUnits(value, scale)) / 10n ** BigInt(Math.max(scale - minor, 0));
      const exact = scale >= minor ? credit : credit * 10n ** BigInt(minor - scale);
      return fromUnits(exact, minor);
    }

    _emit(name, detail) {
      this.dispatchEvent(new CustomEvent(`saleor-rewards:${name}`, { detail, bubbles: true, composed: true }));
    }

    _announce(text) {
      // Cleared first so that the same message twice is announced twice.
      this._status.textContent = "";
      setTimeout(() => {
        this._status.textContent = text;
      }, 50);
    }

    // ---- actions ------------------------------------------------------------------------------

    _open(kind) {
      if (this._action && this._action.kind === kind && this._action.step !== "done") {
        this._close();
        return;
      }
      const account = this._state.account;
      const values = {
        redeem: { points: String(BigInt(account.points)), toGiftCard: false },
        giftCard: { amount: account.wallet.amount },
        withdraw: { amount: account.wallet.amount, details: "" },
        referrer: { code: "" },
      }[kind];
      this._action = { kind, step: "edit", values, error: null };
      this._focusKey = `${kind}-input`;
      this._render();
    }

    _close() {
      const kind = this._action && this._action.kind;
      this._action = null;
      this._focusKey = kind ? `open-${kind}` : null;
      this._render();
    }

    _check() {
      const { kind, values } = this._action;
      const s = this._strings;
      const account = this._state.account;
      const program = this._state.program;
      const minor = this._minorDigits();
      if (kind === "redeem") {
        if (!/^\d+$/.test(values.points.trim())) return s.invalidPoints;
        const points = BigInt(values.points.trim());
        if (points > BigInt(account.points)) return s.tooMuch;
        if (points < BigInt(program.pointsMinRedemption)) return this._t("belowMinimum", { min: this._number(program.pointsMinRedemption) });
        return null;
      }
      if (kind === "giftCard" || kind === "withdraw") {
        const pattern = minor ? new RegExp(`^\\d+(\\.\\d{1,${minor}})?$`) : /^\d+$/;
        const example = fromUnits(1250n * 10n ** BigInt(minor) / 100n, minor);
        if (!pattern.test(values.amount.trim())) return this._t("invalidAmount", { example });
        const amount = toUnits(values.amount.trim(), minor);
        if (amount <= 0n) return this._t("invalidAmount", { example });
        if (amount > toUnits(account.wallet.amount, minor)) return s.tooMuch;
        if (kind === "withdraw") {
          if (amount < toUnits(program.minWithdrawal.amount, minor)) return this._t("belowMinimum", { min: this._money(program.minWithdrawal.amount) });
          if (!values.details.trim()) return s.required;
        }
        return null;
      }
      return values.code.trim() ? null : s.required;
    }

    _review(event) {
      event.preventDefault();
      const error = this._check();
      if (error) {
        this._action.error = error;
        this._focusKey = `${this._action.kind}-input`;
        this._render();
        return;
      }
      if (this._action.kind === "referrer") {
        this._submit();
        return;
      }
      // One key per confirmed action: a second click, a retry or a replayed request reuses it,
      // and the API carries the action out once.
      this._action.key = idempotencyKey();
      this._action.step = "confirm";
      this._action.error = null;
      this._focusKey = `${this._action.kind}-confirm`;
      this._render();
    }

    _variables() {
      const { kind, values, key } = this._action;
      const currency = this._currency();
      if (kind === "redeem") return { points: values.points.trim(), toGiftCard: values.toGiftCard, idempotencyKey: key };
      if (kind === "giftCard") return { amount: values.amount.trim(), currency, idempotencyKey: key };
      if (kind === "withdraw") return { amount: values.amount.trim(), details: values.details.trim(), currency, idempotencyKey: key };
      return { code: values.code.trim() };
    }

    async _submit() {
      const action = this._action;
      if (!action || action.step === "busy") return;
      const mutation = MUTATIONS[action.kind];
      const previous = action.step;
      action.step = "busy";
      action.error = null;
      this._render();
      let result;
      try {
        const data = await this._request(mutation.query, this._variables());
        result = data[mutation.field];
      } catch (error) {
        if (this._action !== action) return;
        action.step = previous;
        action.error = error instanceof TokenError ? this._strings.sessionEnded : error.message;
        this._focusKey = `${action.kind}-error`;
        this._emit("error", { action: action.kind, message: action.error });
        this._render();
        return;
      }
      if (this._action !== action) return;
      const errors = result.errors || [];
      if (errors.length && errors[0].code !== "DUPLICATE") {
        action.step = previous;
        action.error = errors[0].message;
        this._focusKey = `${action.kind}-error`;
        this._emit("error", { action: action.kind, code: errors[0].code, message: errors[0].message });
        this._render();
        return;
      }
      action.step = "done";
      action.message = errors.length ? this._strings.alreadyDone : this._doneMessage(action, result);
      action.giftCard = result.giftCard || null;
      this._focusKey = `${action.kind}-done`;
      if (action.giftCard) this._emit("gift-card", { code: action.giftCard.code, amount: action.giftCard.amount });
      this._emit("change", { action: action.kind });
      this._announce(action.message);
      await this._load();
    }

    _doneMessage(action, result) {
      const values = action.values;
      if (action.kind === "redeem") {
        const credit = this._money(result.credit.amount, result.credit.currency);
        return result.giftCard ? this._t("giftCardDone", { amount: credit }) : this._t("redeemDone", { amount: credit });
      }
      if (action.kind === "giftCard") return this._t("giftCardDone", { amount: this._money(result.giftCard.amount.amount, result.giftCard.amount.currency) });
      if (action.kind === "withdraw") return this._t("withdrawDone", { amount: this._money(result.withdrawal.amount.amount, result.withdrawal.amount.currency) });
      return this._t("referrerDone", { code: values.code.trim().toUpperCase() });
    }

    async _copy(text) {
      try {
        await navigator.clipboard.writeText(text);
        this._announce(this._strings.copied);
      } catch (error) {
        this._announce(this._strings.copyFailed);
      }
    }

    async _share(code) {
      const template = this.getAttribute("referral-url");
      const url = template ? template.replace("{code}", encodeURIComponent(code)) : undefined;
      const text = this._t("shareText", { code });
      if (navigator.share) {
        try {
          await navigator.share({ text, url });
          return;
        } catch (error) {
          if (error && error.name === "AbortError") return;
        }
      }
      this._copy(url ? `${text} ${url}` : text);
    }

    // ---- rendering ----------------------------------------------------------------------------

    _render() {
      const active = this.shadowRoot.activeElement;
      const focusKey = this._focusKey || (active && active.dataset && active.dataset.key);
      this._focusKey = null;
      const state = this._state;
      let content;
      if (state.status === "loading") {
        content = h("div", { className: "panel", part: "panel", "aria-busy": "true" }, h("p", { className: "muted" }, this._strings.loading));
      } else if (state.status === "error") {
        content = h(
          "div",
          { className: "panel", part: "panel" },
          h("h2", { part: "title" }, this._strings.title),
          h("p", { className: "error", role: "alert", part: "error" }, state.error),
          this.getAttribute("endpoint") ? h("div", {}, this._button("retry", this._strings.retry, () => this.refresh())) : null
        );
      } else if (state.account) {
        content = this._signedIn();
      } else {
        content = this._anonymous();
      }
      this._root.replaceChildren(content);
      if (focusKey) {
        const target = this.shadowRoot.querySelector(`[data-key="${focusKey}"]`);
        if (target) target.focus();
      }
    }

    _button(key, label, onclick, options = {}) {
      const parts = ["button"].concat(options.primary ? ["button-primary"] : []);
      return h(
        "button",
        {
          type: options.type || "button",
          className: options.primary ? "primary" : options.link ? "link" : "",
          part: parts.join(" "),
          "data-key": key,
          onclick,
          disabled: options.disabled,
          "aria-expanded": options.expanded === undefined ? null : String(options.expanded),
          "aria-controls": options.controls,
          "aria-describedby": options.describedby,
        },
        label
      );
    }

    _signedIn() {
      const s = this._strings;
      const { account } = this._state;
      return h(
        "section",
        { className: "panel", part: "panel", "aria-labelledby": "saleor-rewards-title" },
        h(
          "div",
          { className: "header", part: "header" },
          h("h2", { id: "saleor-rewards-title", part: "title" }, s.signedInTitle),
          h("span", { className: "badge", part: "tier-badge" }, account.tier.name)
        ),
        this._cards(),
        this._actions(),
        h("div", { className: "columns" }, this._queue(), this._releases()),
        this._referral(),
        this._giftCards(),
        this._withdrawals(),
        this._history()
      );
    }

    _cards() {
      const s = this._strings;
      const account = this._state.account;
      const pointsCard = h(
        "div",
        { className: "card", part: "card card-points" },
        h("span", { className: "label", part: "label" }, s.points),
        h("span", { className: "figure", part: "figure", "data-figure": "points" }, this._number(account.points)),
        h("span", { "data-figure": "points-worth" }, this._t("pointsWorth", { amount: this._money(account.pointsWorth.amount, account.pointsWorth.currency) })),
        h("span", { className: "muted", "data-figure": "point-value" }, this._t("pointValue", { value: this._rate(account.pointValue) }))
      );
      const walletCard = h(
        "div",
        { className: "card", part: "card card-wallet" },
        h("span", { className: "label", part: "label" }, s.wallet),
        h("span", { className: "figure", part: "figure", "data-figure": "wallet" }, this._money(account.wallet.amount, account.wallet.currency)),
        h("span", { className: "muted" }, s.walletHint),
        toUnits(account.energy.amount, 3) > 0n
          ? h("span", { className: "muted", "data-figure": "energy" }, this._t("energy", { amount: this._money(account.energy.amount, account.energy.currency) }))
          : null
      );
      const tierCard = h(
        "div",
        { className: "card", part: "card card-tier" },
        h("span", { className: "label", part: "label" }, s.tier),
        h("span", { className: "figure small", part: "figure", "data-figure": "tier" }, account.tier.name),
        this._tierProgress()
      );
      return h("div", { className: "cards" }, pointsCard, walletCard, tierCard);
    }

    _tierProgress() {
      const account = this._state.account;
      if (!account.nextTier) return h("span", { className: "muted" }, this._strings.tierTop);
      const start = Number(account.tier.minContribution.amount);
      const end = Number(account.nextTier.minContribution.amount);
      const reached = Number(account.contribution.amount);
      // Only the bar's width is a float; every amount shown is the API's decimal string.
      const percent = Math.max(0, Math.min(100, Math.floor(((reached - start) / Math.max(end - start, 1e-9)) * 100)));
      const remaining = this._money(account.contributionToNextTier.amount, account.contributionToNextTier.currency);
      const text = this._t("tierNext", { amount: remaining, tier: account.nextTier.name });
      return [
        h(
          "div",
          {
            className: "progress",
            part: "progress",
            role: "progressbar",
            "aria-label": this._t("tierProgress", { tier: account.nextTier.name }),
            "aria-valuemin": "0",
            "aria-valuemax": "100",
            "aria-valuenow": String(percent),
            "aria-valuetext": text,
          },
          h("div", { className: "progress-bar", part: "progress-bar", style: { width: `${percent}%` } })
        ),
        h("span", { className: "muted", "data-figure": "next-tier" }, text),
      ];
    }

    _actions() {
      const s = this._strings;
      const { account, program } = this._state;
      const open = this._action && this._action.kind;
      const kinds = [
        ["redeem", s.redeem],
        ["giftCard", s.giftCard],
        program.withdrawalsEnabled ? ["withdraw", s.withdraw] : null,
        account.referrerCode ? null : ["referrer", s.referrer],
      ].filter(Boolean);
      const buttons = kinds.map(([kind, label]) =>
        this._button(`open-${kind}`, label, () => this._open(kind), {
          expanded: open === kind,
          controls: `saleor-rewards-${kind}`,
          disabled: (kind === "giftCard" || kind === "withdraw") && toUnits(account.wallet.amount, 3) <= 0n,
        })
      );
      return h(
        "section",
        { "aria-labelledby": "saleor-rewards-actions", part: "section" },
        h("h3", { id: "saleor-rewards-actions" }, s.actionsTitle),
        h("div", { className: "actions", part: "actions" }, buttons),
        this._action ? h("div", { style: { marginTop: "12px" } }, this._form()) : null
      );
    }

    _form() {
      const action = this._action;
      const s = this._strings;
      const { kind, step } = action;
      const busy = step === "busy";
      const id = `saleor-rewards-${kind}`;
      const onKeydown = (event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          this._close();
        }
      };
      const error = action.error
        ? h("p", { className: "error", role: "alert", part: "error", tabindex: "-1", "data-key": `${kind}-error`, id: `${id}-error` }, action.error)
        : null;
      if (step === "done") {
        return h(
          "div",
          { className: "form", id, part: "form", onkeydown: onKeydown },
          h("p", { className: "success", part: "message", tabindex: "-1", "data-key": `${kind}-done` }, action.message),
          action.giftCard
            ? h(
                "div",
                { className: "row" },
                h("span", { className: "visually-hidden" }, s.giftCardCode),
                h("span", { className: "code", part: "code", "data-figure": "gift-card-code" }, action.giftCard.code),
                this._button(`${kind}-copy`, s.copyCode, () => this._copy(action.giftCard.code)),
                h("span", { className: "muted" }, s.giftCardUse)
              )
            : null,
          h("div", { className: "row" }, this._button(`${kind}-close`, s.close, () => this._close()))
        );
      }
      if (step === "confirm" || (busy && action.key)) {
        return h(
          "div",
          { className: "form", id, part: "form", role: "group", "aria-labelledby": `${id}-question`, onkeydown: onKeydown },
          h("p", { id: `${id}-question`, part: "message" }, this._question()),
          error,
          h(
            "div",
            { className: "row" },
            this._button(`${kind}-confirm`, busy ? s.working : s.confirm, () => this._submit(), {
              primary: true,
              disabled: busy,
            }),
            this._button(`${kind}-cancel`, s.cancel, () => this._close(), { disabled: busy })
          )
        );
      }
      return h(
        "form",
        { id, part: "form", novalidate: true, onsubmit: (event) => this._review(event), onkeydown: onKeydown, "aria-busy": busy ? "true" : null },
        this._fields(),
        error,
        h(
          "div",
          { className: "row" },
          this._button(`${kind}-continue`, busy ? s.working : kind === "referrer" ? s.confirm : s.continue, null, {
            type: "submit",
            primary: true,
            disabled: busy,
          }),
          this._button(`${kind}-cancel`, s.cancel, () => this._close(), { disabled: busy })
        )
      );
    }

    _input(key, attributes) {
      const action = this._action;
      const field = attributes.field;
      const invalid = Boolean(action.error);
      const describedby = [attributes.help ? `${key}-help` : null, invalid ? `saleor-rewards-${action.kind}-error` : null].filter(Boolean).join(" ");
      const tag = attributes.multiline ? "textarea" : "input";
      const input = h(tag, {
        id: key,
        part: "input",
        "data-key": attributes.dataKey || key,
        type: attributes.multiline ? null : attributes.type || "text",
        inputmode: attributes.inputmode,
        autocomplete: "off",
        value: action.values[field],
        "aria-describedby": describedby || null,
        "aria-invalid": invalid ? "true" : null,
        rows: attributes.multiline ? "2" : null,
        oninput: (event) => {
          action.values[field] = event.target.value;
          if (attributes.live) this._updatePreview();
        },
      });
      return [
        h("label", { for: key }, attributes.label),
        input,
        attributes.help ? h("p", { id: `${key}-help`, className: "muted", "data-figure": `${action.kind}-${field}-help` }, attributes.help) : null,
      ];
    }

    _fields() {
      const s = this._strings;
      const { kind, values } = this._action;
      const { account, program } = this._state;
      const prefix = `saleor-rewards-${kind}`;
      if (kind === "redeem") {
        const min = this._number(program.pointsMinRedemption);
        const enough = BigInt(account.points) >= BigInt(program.pointsMinRedemption);
        const unit = this._money(fromUnits(1n, this._minorDigits()));
        return [
          this._input(`${prefix}-points`, {
            field: "points",
            dataKey: "redeem-input",
            label: s.redeemPoints,
            inputmode: "numeric",
            live: true,
            help: this._t("redeemHelp", { min, value: this._rate(account.pointValue), unit }),
          }),
          h("p", { "data-figure": "redeem-preview", "aria-live": "polite", part: "message" }, enough ? this._preview() : this._t("redeemNotEnough", { min, points: this._number(account.points) })),
          h(
            "label",
            { className: "check" },
            h("input", { type: "checkbox", part: "checkbox", checked: values.toGiftCard, onchange: (event) => (values.toGiftCard = event.target.checked) }),
            s.redeemToGiftCard
          ),
        ];
      }
      if (kind === "giftCard") {
        return this._input(`${prefix}-amount`, {
          field: "amount",
          dataKey: "giftCard-input",
          label: s.giftCardAmount,
          inputmode: "decimal",
          help: this._t("giftCardHelp", { amount: this._money(account.wallet.amount, account.wallet.currency) }),
        });
      }
      if (kind === "withdraw") {
        return [
          this._input(`${prefix}-amount`, {
            field: "amount",
            dataKey: "withdraw-input",
            label: s.withdrawAmount,
            inputmode: "decimal",
            help: this._t("withdrawHelp", { min: this._money(program.minWithdrawal.amount), max: this._money(account.wallet.amount) }),
          }),
          this._input(`${prefix}-details`, { field: "details", label: s.withdrawDetails, help: s.withdrawDetailsHelp, multiline: true }),
        ];
      }
      return this._input(`${prefix}-code`, { field: "code", dataKey: "referrer-input", label: s.referrerCode, help: s.referrerHelp });
    }

    _preview() {
      const points = this._action.values.points.trim();
      if (!/^\d+$/.test(points) || BigInt(points) <= 0n) return "";
      return this._t("redeemPreview", { points: this._number(points), amount: this._money(this._credit(points)) });
    }

    _updatePreview() {
      const preview = this.shadowRoot.querySelector('[data-figure="redeem-preview"]');
      const account = this._state.account;
      if (preview && BigInt(account.points) >= BigInt(this._state.program.pointsMinRedemption)) preview.textContent = this._preview();
    }

    _question() {
      const { kind, values } = this._action;
      if (kind === "redeem") {
        const points = values.points.trim();
        const key = values.toGiftCard ? "redeemConfirmGiftCard" : "redeemConfirm";
        return this._t(key, { points: this._number(points), amount: this._money(this._credit(points)) });
      }
      const amount = this._money(values.amount.trim());
      return this._t(kind === "giftCard" ? "giftCardConfirm" : "withdrawConfirm", { amount });
    }

    _queue() {
      const s = this._strings;
      const entries = this._state.account.queueEntries.edges.map((edge) => edge.node);
      const list = entries.length
        ? h(
            "ul",
            { className: "list", part: "list" },
            entries.map((entry) => {
              const target = Number(entry.target.amount);
              const percent = target > 0 ? Math.min(100, Math.floor((Number(entry.received.amount) / target) * 100)) : 0;
              const received = this._t("queueReceived", { received: this._money(entry.received.amount, entry.received.currency), target: this._money(entry.target.amount, entry.target.currency) });
              return h(
                "li",
                { part: "queue-entry", "data-queue-entry": entry.orderNumber },
                h("div", { className: "line" }, h("strong", {}, this._t("queueOrder", { number: entry.orderNumber })), h("span", { className: "badge", "data-figure": "position" }, this._t("queuePosition", { position: this._number(entry.position) }))),
                h(
                  "div",
                  { className: "progress", part: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": String(percent), "aria-valuetext": received, "aria-label": this._t("queueOrder", { number: entry.orderNumber }) },
                  h("div", { className: "progress-bar", part: "progress-bar", style: { width: `${percent}%` } })
                ),
                h("div", { className: "line muted" }, h("span", { "data-figure": "received" }, received), h("span", { "data-figure": "remaining" }, this._t("queueRemaining", { amount: this._money(entry.remaining.amount, entry.remaining.currency) })))
              );
            })
          )
        : h("p", { className: "muted" }, s.queueEmpty);
      return h("section", { "aria-labelledby": "saleor-rewards-queue", part: "section section-queue" }, h("h3", { id: "saleor-rewards-queue" }, s.queueTitle), list);
    }

    _releases() {
      const s = this._strings;
      const releases = this._state.account.releases.edges.map((edge) => edge.node);
      const list = releases.length
        ? h(
            "ul",
            { className: "list", part: "list" },
            releases.map((release) =>
              h("li", { "data-release": release.day }, h("div", { className: "line" }, h("span", {}, this._day(release.day)), h("strong", { className: "positive" }, "+" + this._money(release.amount.amount, release.amount.currency))))
            )
          )
        : h("p", { className: "muted" }, s.releasesEmpty);
      return h("section", { "aria-labelledby": "saleor-rewards-releases", part: "section section-releases" }, h("h3", { id: "saleor-rewards-releases" }, s.releasesTitle), list);
    }

    _referral() {
      const s = this._strings;
      const account = this._state.account;
      const body = account.referralCode
        ? [
            h(
              "div",
              { className: "row" },
              h("span", { className: "visually-hidden" }, s.referralCode),
              h("span", { className: "code", part: "code", "data-figure": "referral-code" }, account.referralCode),
              this._button("referral-copy", s.copy, () => this._copy(account.referralCode)),
              this._button("referral-share", s.share, () => this._share(account.referralCode))
            ),
            h("p", { className: "muted" }, s.referralHint),
          ]
        : h("p", { className: "muted" }, s.referralPending);
      return h(
        "section",
        { "aria-labelledby": "saleor-rewards-referral", part: "section section-referral" },
        h("h3", { id: "saleor-rewards-referral" }, s.referralTitle),
        body,
        account.referrerCode ? h("p", { className: "muted", "data-figure": "referrer" }, this._t("referredBy", { code: account.referrerCode })) : null
      );
    }

    _giftCards() {
      const cards = this._state.account.giftCards.edges.map((edge) => edge.node);
      if (!cards.length) return null;
      return h(
        "section",
        { "aria-labelledby": "saleor-rewards-gift-cards", part: "section section-gift-cards" },
        h("h3", { id: "saleor-rewards-gift-cards" }, this._strings.giftCardsTitle),
        h("ul", { className: "list", part: "list" }, cards.map((card) => h("li", {}, h("div", { className: "line" }, h("span", { className: "code", part: "code" }, card.code), h("strong", {}, this._money(card.amount.amount, card.amount.currency))))))
      );
    }

    _withdrawals() {
      const withdrawals = this._state.account.withdrawals.edges.map((edge) => edge.node);
      if (!withdrawals.length) return null;
      const statuses = this._strings.withdrawalStatus;
      return h(
        "section",
        { "aria-labelledby": "saleor-rewards-withdrawals", part: "section section-withdrawals" },
        h("h3", { id: "saleor-rewards-withdrawals" }, this._strings.withdrawalsTitle),
        h("ul", { className: "list", part: "list" }, withdrawals.map((w) => h("li", {}, h("div", { className: "line" }, h("span", {}, this._day(w.requestedAt), " · ", statuses[w.status] || w.status), h("strong", {}, this._money(w.amount.amount, w.amount.currency))))))
      );
    }

    _history() {
      const s = this._strings;
      const history = this._state.history;
      const section = h("section", { "aria-labelledby": "saleor-rewards-history", part: "section section-history" }, h("h3", { id: "saleor-rewards-history" }, s.historyTitle));
      if (!history || !history.edges.length) {
        section.append(h("p", { className: "muted" }, s.historyEmpty));
        return section;
      }
      const rows = history.edges.map((edge, index) => {
        const line = edge.node;
        const positive = !line.amount.startsWith("-");
        const amount = line.account === "POINTS" ? this._t("pointsAmount", { points: this._number(line.amount.replace("-", "")) }) : this._money(line.amount.replace("-", ""), line.currency);
        const what = [s.kinds[line.kind] || line.kind, line.orderNumber ? ` (${this._t("historyOrder", { number: line.orderNumber })})` : ""].join("");
        return h(
          "tr",
          { "data-history": line.id },
          h("td", { tabindex: "-1", "data-key": `history-${index}` }, this._day(line.day)),
          h("td", {}, what, h("br"), h("span", { className: "muted" }, s.accounts[line.account] || line.account)),
          h("td", { className: `amount ${positive ? "positive" : ""}` }, (positive ? "+" : "−") + amount)
        );
      });
      section.append(
        h(
          "table",
          { part: "history" },
          h("caption", { className: "muted" }, this._t("historyCount", { shown: this._number(history.edges.length), total: this._number(history.totalCount) })),
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, s.historyDate), h("th", { scope: "col" }, s.historyWhat), h("th", { scope: "col", className: "amount" }, s.historyChange))),
          h("tbody", {}, rows)
        )
      );
      if (this._state.historyError) section.append(h("p", { className: "error", role: "alert", part: "error" }, this._state.historyError));
      if (history.pageInfo.hasNextPage) {
        section.append(h("div", { style: { marginTop: "10px" } }, this._button("history-more", this._state.historyBusy ? s.working : s.historyMore, () => this._moreHistory(), { disabled: this._state.historyBusy })));
      }
      return section;
    }

    _anonymous() {
      const s = this._strings;
      const { program, pointValue, pool, tiers } = this._state;
      const unit = this._money("1", program.currency).replace(/[.,]0+(?=\D*$)/, "");
      const percent = new Intl.NumberFormat(this._locale(), { style: "percent", maximumFractionDigits: 1 }).format(program.freeRatio);
      const how = [
        this._t("howEarn", { points: this._number(program.pointsPerUnit), unit }),
        this._t("howValue", { value: this._rate(pointValue.value), min: this._number(program.pointsMinRedemption) }),
        pool.enabled ? this._t("howQueue", { percent }) : null,
        program.pointsExpireDays ? this._t("howExpiry", { days: this._number(program.pointsExpireDays) }) : null,
        s.howTiers,
      ].filter(Boolean);
      return h(
        "section",
        { className: "panel", part: "panel", "aria-labelledby": "saleor-rewards-title" },
        h("div", { className: "header", part: "header" }, h("h2", { id: "saleor-rewards-title", part: "title" }, s.title), this._button("sign-in", s.signIn, () => this._emit("sign-in", {}), { primary: true })),
        this._state.sessionEnded ? h("p", { className: "error", role: "alert", part: "error" }, s.sessionEnded) : h("p", { className: "muted" }, s.signInPrompt),
        h("section", { "aria-labelledby": "saleor-rewards-how", part: "section section-how" }, h("h3", { id: "saleor-rewards-how" }, s.howItWorks), h("ul", { className: "how", "data-figure": "how" }, how.map((text) => h("li", {}, text)))),
        h(
          "section",
          { "aria-labelledby": "saleor-rewards-tiers", part: "section section-tiers" },
          h("h3", { id: "saleor-rewards-tiers" }, s.tiersTitle),
          h(
            "ol",
            { className: "tiers", part: "list" },
            tiers.map((tier) =>
              h("li", { part: "tier", "data-tier": tier.code }, h("strong", {}, tier.name), h("span", { className: "muted" }, this._t("tierFrom", { amount: this._money(tier.minContribution.amount, tier.minContribution.currency) })), h("span", { className: "muted" }, this._t("tierMultiplier", { multiplier: this._number(tier.pointsMultiplier) })))
            )
          )
        )
      );
    }
  }

  customElements.define("saleor-rewards", SaleorRewards);
})();

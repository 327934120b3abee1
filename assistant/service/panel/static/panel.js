// Huashu agent panel: plain script, no build step, no dependency. Everything written by a
// customer or the knowledge base is put on the page with textContent, never as HTML.
"use strict";

(function () {
  const KINDS = { faq: "问答", product: "商品", policy: "规则", promotion: "活动", past_reply: "历史回复" };
  // the quick-reply slots (assistant/learning/quick_replies.py): which customer turns a quick reply answers
  const SLOTS = {
    opening: "开场", substantive: "提问", greeting: "问候", order_card: "订单卡片",
    acknowledgement: "好的/嗯", thanks: "感谢", closing: "结束语",
  };
  // Cue, level and escalation names: labels.js, shared with the admin page.
  const { CUES, LEVELS, ESCALATIONS: REASONS, errorText, notReady } = window.huashuLabels;
  const SHOWN_WHEN_UNANSWERABLE = 3;

  const params = new URLSearchParams(location.search);
  const state = {
    token: params.get("token") || "",
    conversation: params.get("conversation") || "",
    // Chatwoot's account and inbox, for "send": the appContext's inside Chatwoot, else the address's
    account: Number(params.get("account")) || null,
    inbox: Number(params.get("inbox")) || null,
    agent: "",
    canSend: false,
    event: null,      // the suggestions event on screen
    marked: new Set(),  // the cues of that event the agent marked 不准
    shownAt: 0,       // performance.now() when it was drawn
    selected: 0,
    refused: false,   // the token was refused (revoked, or not this shop's): every action is off
    source: null,
    retryMs: 500,
    timer: 0,
  };
  // Read by the browser tests and benchmarks/panel_latency.py.
  const probe = { drawn: {}, lastCopy: null, feedback: [] };
  window.huashuPanel = probe;

  const $ = (id) => document.getElementById(id);
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function button(label, action, title) {
    const b = el("button", "act act-" + action, label);
    b.type = "button";
    b.dataset.action = action;
    if (title) b.title = title;
    return b;
  }

  function authHeaders() {
    const h = { "Content-Type": "application/json" };
    if (state.token) h.Authorization = "Bearer " + state.token;
    return h;
  }

  function setStatus(kind, text, title) {
    const s = $("status");
    s.dataset.state = kind;
    s.textContent = text;
    s.title = title || "";
  }

  // The shop's readiness, from the stream (`hello`, then a `readiness` event each time it
  // changes): connected is not enough, suggestions come only once the shop's index is served.
  function showReadiness(r) {
    if (r.ready !== false) { setStatus("online", "在线"); return; }
    const progress = typeof r.progress === "number" ? " " + Math.round(100 * r.progress) + "%" : "";
    setStatus("not-ready", "服务未就绪 · 等待索引…" + progress, notReady(r.progress));
  }

  let toastTimer = 0;
  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 2500);
  }

  // --- live stream -------------------------------------------------------------------------
  function connect() {
    clearTimeout(state.timer);
    if (state.source) state.source.close();
    state.source = null;
    $("conversation-label").textContent = state.conversation ? "会话 #" + state.conversation : "";
    if (!state.conversation) { showNoConversation(); return; }
    if ($("empty").classList.contains("no-conversation")) {  // one picked since: its messages are awaited
      $("empty").classList.remove("no-conversation");
      $("empty").textContent = "等待客户消息…";
    }
    let url = "/panel/events?conversation=" + encodeURIComponent(state.conversation);
    if (state.token) url += "&token=" + encodeURIComponent(state.token);
    const source = new EventSource(url);
    state.source = source;
    let opened = false;
    source.addEventListener("hello", (e) => {
      const hello = JSON.parse(e.data);
      opened = true;
      state.canSend = Boolean(hello.can_send);
      state.retryMs = 500;
      showReadiness(hello);
      restoreDrafts();  // after can_send is known: a restored draft's 发送草稿 depends on it
    });
    source.addEventListener("readiness", (e) => showReadiness(JSON.parse(e.data)));
    source.addEventListener("update", (e) => onEvent(JSON.parse(e.data)));
    source.addEventListener("denied", (e) => {
      // the token was revoked (or moved) while the stream was open: the service ends the stream
      const body = JSON.parse(e.data);
      source.close();
      if (state.source !== source) return;
      state.source = null;
      if (body.status === 503) { setStatus("offline", "离线 · 正在重连…"); state.timer = setTimeout(connect, state.retryMs); return; }
      refuse("无权访问：" + errorText(body.status, body, null));
    });
    source.onerror = async () => {
      // Service restarting, network gone, or the stream refused: say which, retry with back-off.
      source.close();
      if (state.source !== source) return;
      state.source = null;
      const refusal = opened ? null : await refused(url);
      if (refusal) { refuse(refusal); return; }  // a bad token does not get better
      setStatus("offline", "离线 · 正在重连…");
      state.timer = setTimeout(connect, state.retryMs);
      state.retryMs = Math.min(state.retryMs * 2, 3000);
    };
  }

  async function refused(url) {
    // EventSource hides the status of a refused stream; ask once with fetch to tell a wrong
    // token (401/403) or conversation (422) from a service that is away.
    const abort = new AbortController();
    try {
      const r = await fetch(url, { signal: abort.signal });
      if (r.ok) { abort.abort(); return null; }
      if (![401, 403, 422].includes(r.status)) return null;
      const body = await r.json().catch(() => ({}));
      return (r.status === 422 ? "会话无效：" : "无权访问：") + errorText(r.status, body, r.headers);
    } catch (err) {
      return null;
    }
  }

  // No conversation to follow (a panel link without `conversation`, or Chatwoot not telling one yet):
  // one empty state saying how to pick one, not 等待客户消息… as if messages were on their way.
  function showNoConversation() {
    setStatus("idle", "未选择会话");
    $("latest").replaceChildren(el("span", "latest-empty", "未选择会话"));
    const empty = $("empty");
    empty.textContent = "未选择会话：在 Chatwoot 里打开一个会话，面板会显示它的消息和建议回复；"
      + "单独打开面板时，在链接后加上 &conversation=会话编号。";
    empty.classList.add("no-conversation");
    empty.hidden = false;
  }

  // A refused stream is said where the agent looks, not only in the status pill.
  function showRefusal(text) {
    const empty = $("empty");
    empty.textContent = text + (state.conversation ? "。面板收不到这个会话的消息。" : "。");
    empty.classList.add("refused");
    empty.hidden = false;
  }

  // Refused for good: the stream said `denied`, or refused to open, or an action answered 401 or
  // a 403 on the token (a bad token does not get better). Said in the pill and the body, the
  // stream closed, and every action switched off (a user test: the cards on screen kept working
  // buttons whose clicks then failed). The texts stay readable and selectable, to copy by hand.
  function refuse(text) {
    clearTimeout(state.timer);
    if (state.source) state.source.close();
    state.source = null;
    state.refused = true;
    setStatus("refused", text);
    showRefusal(text);
    disableActions();
  }

  // Buttons disabled (out of the tab order, announced as unavailable), editors read-only (their
  // text still selectable), no card selected; panel.css dims the cards with colour, not opacity.
  // Not `inert`: Chromium would stop the agent selecting the text too.
  function disableActions() {
    document.body.classList.add("refused");
    for (const b of document.querySelectorAll("button")) {
      b.disabled = true;
      b.setAttribute("aria-disabled", "true");
    }
    for (const field of document.querySelectorAll("textarea.editor, #try-text")) {
      field.readOnly = true;
      field.setAttribute("aria-disabled", "true");
    }
    $("try-earlier").disabled = true;
    for (const c of cards()) c.classList.remove("selected");
    renumber();
  }

  // Whether an action's error answer refuses the token itself (401; a 403 on the token or its
  // shop), not only this action: a 403 on account_id is one Chatwoot inbox that is another
  // shop's, and copying still works.
  function refusesToken(status, body) {
    const errors = body && Array.isArray(body.errors) ? body.errors : [];
    const field = errors.length && errors[0] ? String(errors[0].field || "") : "";
    return status === 401 || (status === 403 && field !== "account_id");
  }

  function follow(conversation) {
    if (!conversation || conversation === state.conversation) return;
    forgetDrafts();  // the drafts go from the page below, so from the tab's storage too
    state.conversation = conversation;
    state.event = null;
    $("drafts").replaceChildren();  // a draft answers the conversation left, not this one
    clear();
    connect();
  }

  function onEvent(event) {
    if (event.type === "turn") {
      // A reconnection after a restart replays the turns the store kept: each is shown once.
      if (event.message_id && turnIds.has(event.message_id)) return;
      if (event.message_id) turnIds.add(event.message_id);
      // after the latest message, in the order said; once an agent answered it, the banner and
      // the suggestions are marked 已回复 (dimmed, still usable)
      addTurn({ role: event.role, text: event.text }, state.event ? "after" : "turns");
      if (state.event && event.role === "agent") answered();
      return;
    }
    if (event.type !== "suggestions") return;
    if (state.event && state.event.message_id === event.message_id && !event.preview) return;
    render(event);
  }

  // --- drawing -----------------------------------------------------------------------------
  const turnIds = new Set();  // the turn events shown since the last clear

  function clear() {
    turnIds.clear();
    for (const id of ["turns", "cues", "after", "suggestions"]) $(id).replaceChildren();
    countRecent();
    $("latest").replaceChildren(el("span", "latest-empty", "还没有客户消息"));
    $("keys").hidden = true;
    $("empty").classList.remove("refused");
    $("escalation").hidden = true;
    $("escalation").classList.remove("answered");
    document.querySelector(".replies").classList.remove("answered");
    $("unanswerable").hidden = true;
    $("empty").hidden = false;
  }

  function addTurn(turn, where = "turns") {
    const li = el("li", "turn turn-" + turn.role);
    const who = { agent: "客服", bot: "机器人", customer: "客户" }[turn.role] || turn.role;
    li.append(el("span", "who", who), el("span", "said", turn.text));
    $(where).append(li);
    if (where === "turns") countRecent();
  }

  // The earlier turns fold on a phone or a narrow sidebar (the latest message, its cues and the
  // suggestions come first); the summary says how many there are.
  const NARROW = window.matchMedia("(max-width: 600px)");  // panel.css's phone or narrow sidebar

  function countRecent() {
    const n = $("turns").children.length;
    $("recent-count").textContent = n ? "· " + n + " 条" : "";
  }

  function answered() {
    const banner = $("escalation");
    if (!banner.classList.contains("answered")) {
      banner.classList.add("answered");
      banner.textContent = "已回复 · " + banner.textContent;
    }
    document.querySelector(".replies").classList.add("answered");
    for (const c of cards()) {
      if (!c.querySelector(".answered-tag")) c.querySelector(".num").after(el("span", "answered-tag", "已回复"));
    }
    renumber();
  }

  // The cards not dismissed, in order: the number keys, the numbers on the cards and the hint
  // all count these, 1..n as shown.
  function visible() {
    return cards().map((c, i) => (c.classList.contains("dismissed") ? -1 : i)).filter((i) => i >= 0);
  }

  function renumber() {
    const all = cards();
    const shownNow = visible();
    shownNow.forEach((i, n) => {
      all[i].querySelector(".num").textContent = String(n + 1);
      all[i].querySelector(".act-use").title = "复制到剪贴板" + (n < MAX_KEY ? " (" + (n + 1) + ")" : "");
    });
    const answeredNow = document.querySelector(".replies").classList.contains("answered");
    const hint = state.refused ? "已停用 · 文字仍可选中复制" : keysHint(shownNow.length);  // refused: no key acts
    $("keys").textContent = (answeredNow ? "已回复 · " : "") + hint;
    $("keys").hidden = shownNow.length === 0;
  }

  function highlighted(text, cues) {
    // Evidence spans count code points (as Python does), so index an array of them.
    const chars = Array.from(text);
    const marks = new Array(chars.length).fill(null);
    for (const cue of cues) {
      for (const ev of cue.evidence) {
        for (let i = Math.max(0, ev.start); i < Math.min(chars.length, ev.end); i++) marks[i] = cue.name;
      }
    }
    const out = [];
    let i = 0;
    while (i < chars.length) {
      let j = i;
      while (j < chars.length && marks[j] === marks[i]) j++;
      const part = chars.slice(i, j).join("");
      if (marks[i]) {
        const m = el("mark", "evidence cue-" + marks[i], part);
        m.title = CUES[marks[i]] || marks[i];
        out.push(m);
      } else {
        out.push(document.createTextNode(part));
      }
      i = j;
    }
    return out;
  }

  // The cues each escalation reason stands on (emotion/context.py): anger_rising on whichever of
  // anger and complaint risk rose; a trend (waiting, chasing, repeating) escalates only beside a
  // pressing cue. A reason whose cues the agent marked 不准 is withdrawn, and with none left the
  // banner says so (a user test: the banner stayed red).
  const REASON_CUES = {
    anger_high: ["anger"], complaint_high: ["complaint_risk"], anger_rising: ["anger", "complaint_risk"],
  };
  const PRESSING = ["anger", "complaint_risk", "anxiety"];

  // The cues `reason` stands on, given the cues the message shows (`cues`, marked or not).
  // carried_anger (之前的怒气还在) is the earlier anger carried on: it stands on the anger cue, so
  // anger marked 不准 withdraws it while a complaint risk keeps its own reasons (a user test: the
  // banner kept 之前的怒气还在). Only a complaint risk carried alone, with no anger shown, carries it.
  function reasonCues(reason, cues) {
    if (reason === "carried_anger") return cues.includes("anger") ? ["anger"] : ["complaint_risk"];
    return REASON_CUES[reason] || PRESSING;
  }

  function showEscalation() {
    const event = state.event;
    const banner = $("escalation");
    if (!event || !event.escalate) return;
    const cues = event.cues.filter((c) => c.level === "medium" || c.level === "high").map((c) => c.name);
    const shown = cues.filter((name) => !state.marked.has(name));
    const left = event.escalation_reasons.filter((r) => reasonCues(r, cues).some((name) => shown.includes(name)));
    const answeredPrefix = banner.classList.contains("answered") ? "已回复 · " : "";
    banner.classList.toggle("withdrawn", !left.length);
    banner.textContent = answeredPrefix + (left.length
      ? "建议升级处理：" + left.map((r) => REASONS[r] || r).join("；")
      : "已标记提示不准 · 不再建议升级");
    banner.hidden = false;
  }

  function cueBadge(cue) {
    const badge = el("div", "cue cue-" + cue.name + " level-" + cue.level);
    badge.dataset.cue = cue.name;
    const head = el("span", "cue-name", (CUES[cue.name] || cue.name) + " · " + (LEVELS[cue.level] || cue.level));
    const wrong = button("不准", "cue_wrong", "这条情绪提示不准确");
    const mark = () => {
      // marked, not greyed out: struck through and saying so, still readable and focusable
      badge.classList.add("marked");
      wrong.textContent = "已标记不准";
      wrong.setAttribute("aria-disabled", "true");
      wrong.title = "已记下这条提示不准";
    };
    if (state.marked.has(cue.name)) mark();
    wrong.addEventListener("click", () => {
      if (state.refused || badge.classList.contains("marked")) return;
      mark();
      const trying = Boolean(state.event && state.event.preview);
      state.marked.add(cue.name);
      showEscalation();
      sendFeedback({ action: "cue_wrong", cue: cue.name });
      toast(trying ? "试用模式不记录，正式面板里会记下这条提示不准" : "已记录：提示不准");
    });
    // on a narrow screen the tip is shown on a tap (panel.css): the badge is one line until then
    badge.addEventListener("click", (e) => { if (e.target !== wrong) badge.classList.toggle("open"); });
    badge.append(head, el("span", "cue-tip", cue.tip), wrong);
    return badge;
  }

  function card(s, index, greyed) {
    const li = el("li", "suggestion" + (greyed ? " greyed" : ""));
    li.dataset.rank = String(s.rank);
    li.dataset.entry = s.entry_id;
    const meta = el("div", "meta");
    meta.append(
      el("span", "num", String(index + 1)),
      el("span", "kind kind-" + s.kind, KINDS[s.kind] || s.kind),
      el("span", "score", "置信 " + s.score.toFixed(2)),
    );
    const text = el("p", "text", s.text);
    const quick = (s.tags || []).includes("quick_reply");
    const matched = quick
      ? el("p", "matched", "常用回复：本店客服对「" + (SLOTS[s.matched] || s.matched) + "」最常发的回复之一")
      : el("p", "matched", "匹配：" + s.matched);
    const actions = el("div", "actions");
    const use = button("使用", "use", "复制到剪贴板" + (index < MAX_KEY ? " (" + (index + 1) + ")" : ""));
    const edit = button("编辑", "edit", "编辑后使用 (e)");
    const dismiss = button("忽略", "dismiss", "忽略 (Esc)");
    use.addEventListener("click", () => useSuggestion(index));
    edit.addEventListener("click", () => editSuggestion(index));
    dismiss.addEventListener("click", () => dismissSuggestion(index));
    actions.append(use, edit);
    if (state.canSend) {
      const send = button("发送", "send", "通过 Chatwoot 发给客户 (Shift+S)");
      send.addEventListener("click", () => sendReply(index, s.text));
      send.dataset.label = send.textContent;
      actions.append(send);
    }
    actions.append(dismiss);
    li.append(meta, text, matched, actions);
    li.addEventListener("click", () => select(index));
    return li;
  }

  // The number keys that use a suggestion: one per card shown, 1 to 9; the hint names exactly those.
  const MAX_KEY = 9;

  function keysHint(count) {
    const n = Math.min(count, MAX_KEY);
    const use = n > 1 ? "1–" + n + " 使用 · " : n === 1 ? "1 使用 · " : "";
    return use + "e 编辑 · " + (state.canSend ? "⇧S 发送 · " : "") + "Esc 忽略";
  }

  // The editor's keys, named in its buttons' tooltips: Ctrl+Enter (⌘Enter on a Mac) uses the
  // edited text, Ctrl+Shift+Enter (⌘⇧Enter) sends it (a user test: Ctrl+Enter did nothing).
  const USE_KEYS = " (Ctrl+Enter，Mac 上 ⌘Enter)";
  const SEND_KEYS = " (Ctrl+Shift+Enter，Mac 上 ⌘⇧Enter)";

  function render(event) {
    const kept = keepDrafts();  // before the cards go: the edits the agent typed
    const before = state.event;
    state.event = event;
    state.selected = 0;
    clear();
    for (const turn of event.turns) addTurn(turn);
    $("latest").replaceChildren(...highlighted(event.text, event.cues));
    // the cues already marked 不准 (a panel opened again: the service sends them) show marked
    state.marked = new Set(event.marked_wrong || []);
    $("cues").replaceChildren(...event.cues.map(cueBadge));
    showEscalation();
    const shown = event.answerable ? event.suggestions : event.suggestions.slice(0, SHOWN_WHEN_UNANSWERABLE);
    $("unanswerable").hidden = event.answerable;
    $("suggestions").replaceChildren(...shown.map((s, i) => card(s, i, !event.answerable)));
    // the cards already dismissed (a panel opened again: the service sends them) stay dismissed,
    // as a click left them; a new message's event has none
    const dismissed = new Set(event.dismissed || []);
    cards().forEach((c, i) => { if (dismissed.has(shown[i].entry_id)) c.classList.add("dismissed"); });
    // and the cards already sent say 已发送 with their send off, as after the click (a user test:
    // a reload turned 发送 back on for a reply already sent)
    const sent = new Set(event.sent || []);
    cards().forEach((c, i) => {
      if (!sent.has(shown[i].entry_id)) return;
      c.dataset.send = "sent";
      c.classList.add("sent");
      showSending(c);
    });
    // and the cards used (copied, as is or edited) say so, as after the click
    const used = new Set(event.used || []);
    cards().forEach((c, i) => { if (used.has(shown[i].entry_id)) markUsed(c); });
    renumber();
    const left = visible().length;
    $("empty").hidden = left > 0;
    $("empty").textContent = left ? "" : shown.length ? "建议都已忽略" : "没有建议";
    select(0);
    showDrafts(kept, before);
    if (state.refused) disableActions();
    const id = event.message_id;
    requestAnimationFrame(() => {
      state.shownAt = performance.now();
      setTimeout(() => { probe.drawn[id] = Date.now(); }, 0);
    });
  }

  function cards() { return Array.from($("suggestions").children); }

  function select(index) {
    const all = cards();
    if (!all.length || state.refused) return;
    state.selected = Math.max(0, Math.min(index, all.length - 1));
    if (all[state.selected].classList.contains("dismissed")) {
      const near = visible();
      if (near.length) state.selected = near.find((i) => i >= state.selected) ?? near[near.length - 1];
    }
    all.forEach((c, i) => c.classList.toggle("selected", i === state.selected));
  }

  // --- actions -----------------------------------------------------------------------------
  // `e` and `shownAt`: the event on screen, unless a kept draft names the earlier one it answers
  function shownList(e) {
    return e.suggestions.map((s) => ({ entry_id: s.entry_id, rank: s.rank, score: s.score }));
  }

  function payload(extra, e = state.event, shownAt = state.shownAt) {
    return Object.assign({
      conversation_id: e.conversation_id,
      message_id: e.message_id,
      index_version: e.index_version,
      elapsed_ms: Math.max(0, Math.round(performance.now() - shownAt)),
      shown: shownList(e),
      agent: state.agent,
    }, extra);
  }

  function fieldsOf(s) { return { entry_id: s.entry_id, rank: s.rank, score: s.score }; }

  function suggestionFields(index) { return fieldsOf(shown()[index]); }

  function shownOf(e) { return e.answerable ? e.suggestions : e.suggestions.slice(0, SHOWN_WHEN_UNANSWERABLE); }

  function shown() { return shownOf(state.event); }

  async function sendFeedback(extra, e = state.event, shownAt = state.shownAt) {
    if (!e || e.preview || state.refused) return null;  // try-it mode records nothing
    const body = payload(extra, e, shownAt);
    probe.feedback.push(body);
    try {
      const r = await fetch("/v1/feedback", { method: "POST", headers: authHeaders(), body: JSON.stringify(body) });
      if (!r.ok) {
        const answer = await r.json().catch(() => ({}));
        toast("反馈未记录：" + errorText(r.status, answer, r.headers));
        if (refusesToken(r.status, answer)) refuse("无权访问：" + errorText(r.status, answer, r.headers));
      }
      return r;
    } catch (err) {
      toast("反馈未记录：离线");
      return null;
    }
  }

  async function copy(text) {
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        return "clipboard";
      }
    } catch (err) { /* blocked inside an iframe without clipboard-write: fall back */ }
    const box = $("copy-box");
    const area = $("copy-text");
    area.value = text;
    box.hidden = false;
    area.focus();
    area.select();
    let copied = false;
    try { copied = document.execCommand("copy"); } catch (err) { copied = false; }
    if (copied) box.hidden = true;
    return copied ? "execCommand" : "manual";
  }

  async function useText(index, text, action) {
    if (!state.event || state.refused || !shown()[index]) return;
    select(index);
    const method = await copy(text);
    probe.lastCopy = { method, text };
    toast(method === "manual" ? "请手动复制" : "已复制");
    markUsed(cards()[index]);
    await sendFeedback(Object.assign({ action, text }, suggestionFields(index)));
  }

  // A card used (its text copied for the agent to paste): its number turns green and it says 已复制,
  // so an agent back from the chat box sees which reply went (a user test found no mark).
  function markUsed(li) {
    li.classList.add("used");
    if (!li.querySelector(".used-tag")) li.querySelector(".num").after(el("span", "used-tag", "已复制"));
  }

  function useSuggestion(index) {
    const s = shown()[index];
    if (s) useText(index, s.text, "use");
  }

  function editSuggestion(index) {
    const s = shown()[index];
    if (!s || state.refused) return;
    const li = cards()[index];
    if (li.querySelector("textarea")) { li.querySelector("textarea").focus(); return; }
    select(index);
    const area = el("textarea", "editor");
    area.value = s.text;
    area.rows = 2;
    // as tall as its text (a four-line reply shows whole), growing as the agent types
    const fit = () => { area.style.height = "auto"; area.style.height = area.scrollHeight + 2 + "px"; };
    area.addEventListener("input", fit);
    // While editing, the card's own buttons (which act on the original text) are hidden: one
    // button per action, each saying which text it takes.
    const original = li.querySelector(".actions");
    const row = el("div", "actions edit-actions");
    // closed (used, sent or cancelled): its text is no longer a draft to bring back after a reload
    const close = () => { area.remove(); row.remove(); original.hidden = false; storeDrafts(); };
    const use = button("使用修改后的", "edit-use", "复制修改后的文字" + USE_KEYS);
    // used: the edited text is on the clipboard, and the editor closes
    use.addEventListener("click", (e) => { e.stopPropagation(); const text = area.value; close(); useText(index, text, "edit"); });
    row.append(use);
    if (state.canSend) {
      const send = button("发送修改后的", "edit-send", "通过 Chatwoot 把修改后的文字发给客户" + SEND_KEYS);
      send.dataset.label = send.textContent;
      send.addEventListener("click", (e) => { e.stopPropagation(); sendReply(index, area.value, close); });
      row.append(send);
    }
    const cancel = button("取消修改", "edit-cancel", "放弃修改，回到原文");
    cancel.addEventListener("click", (e) => { e.stopPropagation(); close(); });
    row.append(cancel);
    original.hidden = true;
    li.querySelector(".text").after(area, row);
    showSending(li);  // reopened after a send: its 发送修改后的 says 已发送 and stays off
    fit();
    area.focus();
  }

  // --- kept drafts -------------------------------------------------------------------------
  // A new message redraws the suggestions at once, but an editor holding text the agent changed
  // does not go with its card (a user test: the reply being typed vanished without a word). It
  // is kept above the new suggestions as a draft naming the message it answers, still editable
  // (and still focused, the caret where it was, if the agent was typing), with 使用草稿, 发送草稿
  // and 放弃草稿; its feedback and its send name that message and suggestion, as the card's
  // would have, so the service's link checks accept them. An editor left unchanged (or emptied)
  // goes with its card.
  const drafts = el("div", "drafts");
  drafts.id = "drafts";
  $("unanswerable").before(drafts);

  function keepDrafts() {
    const e = state.event;
    if (!e) return [];
    const list = shownOf(e);
    const kept = [];
    cards().forEach((li, i) => {
      const area = li.querySelector("textarea.editor");
      const s = list[i];
      if (!area || !s || !area.value.trim() || area.value === s.text) return;
      const focused = document.activeElement === area;
      kept.push({
        event: e, shownAt: state.shownAt, suggestion: s, text: area.value, card: li,
        caret: focused ? [area.selectionStart, area.selectionEnd] : null,
      });
    });
    return kept;
  }

  // `before`: the event the new one replaced; drafts answering anything older say so.
  function showDrafts(kept, before) {
    const previous = before ? before.message_id : null;
    for (const box of drafts.children) {
      // with no event replaced (the first drawn since a reload) there is nothing to be older than:
      // drafts restored from before the reload keep their own label
      if (before && box.dataset.message !== previous) box.querySelector(".draft-label").textContent = "草稿（回复更早的消息）";
    }
    if (!kept.length) return;
    const boxes = kept.map(draftBox);
    drafts.prepend(...boxes);
    toast("客户发来新消息 · 你改的回复已存为草稿");
    kept.forEach((d, i) => {
      if (!d.caret || state.refused) return;
      const area = boxes[i].querySelector("textarea");
      area.focus();
      area.setSelectionRange(d.caret[0], d.caret[1]);
    });
  }

  function draftBox(d) {
    const box = el("section", "draft");
    box.draft = d;  // what storeDrafts keeps of it across a reload
    box.dataset.message = d.event.message_id;
    box.dataset.entry = d.suggestion.entry_id;
    box.setAttribute("aria-label", "草稿");
    const labelText = d.restored ? "草稿（刷新前未发出的回复）" : "草稿（回复上一条消息）";
    const label = el("p", "draft-label", labelText);
    const quote = el("p", "draft-for", "客户：" + d.event.text);
    quote.title = d.event.text;
    const area = el("textarea", "editor draft-editor");
    area.value = d.text;
    area.rows = 2;
    area.setAttribute("aria-label", labelText);
    const fit = () => { area.style.height = "auto"; area.style.height = area.scrollHeight + 2 + "px"; };
    area.addEventListener("input", fit);
    const row = el("div", "actions draft-actions");
    const close = () => { box.remove(); storeDrafts(); };  // used, sent or dropped: not restored again
    const fields = fieldsOf(d.suggestion);
    const use = button("使用草稿", "draft-use", "复制草稿" + USE_KEYS);
    // used: the draft is on the clipboard and goes, recorded as an edit of its suggestion
    use.addEventListener("click", async () => {
      if (state.refused) return;
      const text = area.value;
      const method = await copy(text);
      probe.lastCopy = { method, text };
      toast(method === "manual" ? "请手动复制" : "已复制");
      close();
      await sendFeedback(Object.assign({ action: "edit", text }, fields), d.event, d.shownAt);
    });
    row.append(use);
    if (state.canSend) {
      const send = button("发送草稿", "draft-send", "通过 Chatwoot 把草稿发给客户" + SEND_KEYS);
      send.dataset.label = send.textContent;
      send.addEventListener("click", () => {
        if (state.refused || box.dataset.send) return;
        if (d.event.preview) { toast("试用模式不发送"); return; }
        const where = { account_id: state.account, inbox_id: state.inbox };
        const body = payload(Object.assign({ action: "send", text: area.value }, fields, where), d.event, d.shownAt);
        postSend(box, body, close);
      });
      row.append(send);
    }
    const discard = button("放弃草稿", "draft-discard", "不要这段修改");
    discard.addEventListener("click", close);
    row.append(discard);
    box.append(label, quote, area, row);
    // the card's send state comes along: sent stays off; in flight, its answer lands here. A draft
    // restored after a reload has no card: its stored state (sent, or none) stands in for it.
    const status = d.card ? d.card.dataset.send : d.send;
    if (status) box.dataset.send = status;
    if (status === "sent") box.classList.add("sent");
    if (status === "sending" && d.card) {
      d.card.afterSend = (failure) => {
        if (!failure) { close(); return; }
        delete box.dataset.send;
        showSendError(box, failure);
        showSending(box);
      };
    }
    showSending(box);
    requestAnimationFrame(fit);
    return box;
  }

  // --- drafts across a reload --------------------------------------------------------------
  // The kept drafts and the open editors holding changed text live in the page: a reload (the
  // agent's, or Chatwoot reloading its iframe) lost them (a user test). They are mirrored into
  // sessionStorage, so they come back in this tab only, for this shop's conversation only: on each
  // edit (debounced; an iframe can be killed without a pagehide), on every draft or editor closing
  // (a draft used, sent or dropped is not restored), and on pagehide/beforeunload. On the next load
  // they show as kept drafts once the stream greets that conversation, and storage again mirrors
  // the page from then on. A draft whose send is in flight is not kept: it most likely went, and
  // a second send must not be one click away.
  const DRAFTS_KEY = "huashu.drafts.v1";
  let restoredFor = null;  // the conversation whose stored drafts this page has shown (or found none)
  let storeTimer = 0;

  // The shop is the token's; a short hash of it names the shop in the key without writing the
  // token itself into storage (this separates shops, it protects nothing).
  function draftsKey(conversation) {
    let h = 0x811c9dc5;
    for (let i = 0; i < state.token.length; i++) h = Math.imul(h ^ state.token.charCodeAt(i), 0x01000193);
    return DRAFTS_KEY + "|" + (h >>> 0).toString(16) + "|" + conversation;
  }

  // A draft as stored: no DOM node, the event cut to what its feedback and send name, and the
  // moment it was shown as wall-clock time (performance.now() starts again on each load).
  function storable(d, text, send) {
    const e = d.event;
    return {
      event: {
        conversation_id: e.conversation_id, message_id: e.message_id, text: e.text,
        index_version: e.index_version, suggestions: shownList(e),
      },
      suggestion: Object.assign({ text: d.suggestion.text }, fieldsOf(d.suggestion)),
      text,
      shownWall: d.shownWall || Date.now() - (performance.now() - d.shownAt),
      send: send === "sent" ? "sent" : "",
    };
  }

  function storeDrafts() {
    clearTimeout(storeTimer);
    const conversation = state.conversation;
    // not before this conversation's stored drafts were shown: that would overwrite them unseen
    if (!conversation || restoredFor !== conversation || (state.event && state.event.preview)) return;
    const list = [];
    for (const box of drafts.children) {
      const text = box.querySelector("textarea").value;
      if (!box.draft || box.dataset.send === "sending" || !text.trim()) continue;
      list.push(storable(box.draft, text, box.dataset.send));
    }
    for (const d of keepDrafts()) {
      if (d.card.dataset.send !== "sending") list.push(storable(d, d.text, d.card.dataset.send));
    }
    try {
      if (list.length) {
        sessionStorage.setItem(draftsKey(conversation), JSON.stringify({ account: state.account, drafts: list }));
      } else {
        sessionStorage.removeItem(draftsKey(conversation));
      }
    } catch (err) { /* storage off (a sandboxed iframe, private mode) or full: drafts stay page-only */ }
  }

  function storeSoon() {
    clearTimeout(storeTimer);
    storeTimer = setTimeout(storeDrafts, 300);
  }

  function forgetDrafts() {
    clearTimeout(storeTimer);
    if (!state.conversation || restoredFor !== state.conversation) return;  // unseen: not ours to drop
    try { sessionStorage.removeItem(draftsKey(state.conversation)); } catch (err) { /* storage off */ }
  }

  // Once per conversation and page (a reconnection's hello restores nothing twice).
  function restoreDrafts() {
    const conversation = state.conversation;
    if (!conversation || restoredFor === conversation) return;
    restoredFor = conversation;
    let stored = null;
    try { stored = JSON.parse(sessionStorage.getItem(draftsKey(conversation)) || "null"); } catch (err) { stored = null; }
    if (!stored || !Array.isArray(stored.drafts)) return;
    // the same conversation number in another Chatwoot account is another conversation
    if (stored.account && state.account && stored.account !== state.account) return;
    const ours = (d) => d && d.event && String(d.event.conversation_id) === conversation;
    const boxes = stored.drafts
      .filter((d) => ours(d) && d.suggestion && typeof d.text === "string")
      .map((d) => draftBox(Object.assign({}, d, {
        restored: true, shownAt: performance.now() - Math.max(0, Date.now() - (Number(d.shownWall) || Date.now())),
      })));
    if (!boxes.length) return;
    drafts.append(...boxes);
    if (state.refused) disableActions();
    toast("已恢复刷新前未发出的回复");
  }

  document.addEventListener("input", (e) => {
    if (e.target.classList && e.target.classList.contains("editor")) storeSoon();  // a card's editor or a draft
  });
  window.addEventListener("pagehide", storeDrafts);
  window.addEventListener("beforeunload", storeDrafts);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") storeDrafts(); });

  function dismissSuggestion(index) {
    const s = shown()[index];
    const li = cards()[index];
    if (!s || state.refused || li.classList.contains("dismissed")) return;
    li.classList.add("dismissed");
    sendFeedback(Object.assign({ action: "dismiss" }, suggestionFields(index)));
    renumber();
    const left = visible();
    if (left.length) select(left.find((i) => i > index) ?? left[left.length - 1]);
    else { $("empty").textContent = "建议都已忽略"; $("empty").hidden = false; }
  }

  // One send per card (a user test: a double click on 发送 posted the reply twice into Chatwoot).
  // The card's `data-send` says where its send is: "sending" (in flight) or "sent" (Chatwoot has
  // it); meanwhile its send buttons (发送, and 发送修改后的 in an open editor) are off and say so.
  // Only a failed send turns them on again, with the reason on the card.
  function showSending(li) {
    const status = li.dataset.send || "";
    for (const b of li.querySelectorAll(".act-send, .act-edit-send, .act-draft-send")) {
      b.textContent = status === "sent" ? "已发送" : status === "sending" ? "发送中…" : b.dataset.label;
      const off = Boolean(status) || state.refused;
      b.disabled = off;
      if (off) b.setAttribute("aria-disabled", "true"); else b.removeAttribute("aria-disabled");
    }
    const area = li.querySelector("textarea.editor");  // the edited text being sent stays as sent
    if (area && !state.refused) area.readOnly = status === "sending";
  }

  function showSendError(li, text) {
    let error = li.querySelector(".send-error");
    if (!text) { if (error) error.remove(); return; }
    if (!error) {
      error = el("p", "send-error");
      error.setAttribute("role", "alert");
      li.querySelector(".matched, .draft-actions").after(error);
    }
    error.textContent = text;
  }

  // `done` runs once the send went (the editor's: it closes).
  async function sendReply(index, text, done) {
    if (state.refused) return;
    if (!state.event || state.event.preview) { toast("试用模式不发送"); return; }
    const li = cards()[index];
    if (!li || li.dataset.send) return;  // in flight, or already sent
    const where = { account_id: state.account, inbox_id: state.inbox };
    await postSend(li, payload(Object.assign({ action: "send", text }, suggestionFields(index), where)), done);
  }

  // Posts a send for `li` (a card, or a kept draft) and shows its progress there.
  async function postSend(li, body, done) {
    li.dataset.send = "sending";
    showSending(li);
    showSendError(li, "");
    let failure = "";
    try {
      const r = await fetch("/panel/send", { method: "POST", headers: authHeaders(), body: JSON.stringify(body) });
      const answer = await r.json().catch(() => ({}));
      if (r.ok) {
        li.dataset.send = "sent";
        li.classList.add("sent");
        if (done) done();
        toast("已发送");
      } else {
        failure = "发送失败：" + errorText(r.status, answer, r.headers);
        if (refusesToken(r.status, answer)) refuse("无权访问：" + errorText(r.status, answer, r.headers));
      }
    } catch (err) {
      failure = "发送失败：离线";
    }
    if (failure) {
      delete li.dataset.send;
      toast(failure);
      showSendError(li, failure);
    }
    showSending(li);
    if (li.afterSend) li.afterSend(failure);  // a draft was kept from this card while it was sending
    if (failure) storeDrafts();  // a draft or editor whose send failed is one to keep again
  }

  document.addEventListener("keydown", (e) => {
    if (e.target.closest && e.target.closest("textarea, input, select")) {
      const editor = e.target.classList.contains("editor");  // a card's editor or a kept draft
      // Ctrl+Enter (⌘Enter) in an editor uses the edited text, as 使用修改后的 (使用草稿) does;
      // Ctrl+Shift+Enter sends it, as 发送修改后的 (发送草稿) does, where sending is available. Never
      // while an input method is composing (its Enter picks the characters). A button that is off
      // (sending, sent, refused) does nothing, as its click would.
      if (editor && e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.altKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        const act = e.shiftKey ? ".act-edit-send, .act-draft-send" : ".act-edit-use, .act-draft-use";
        const target = e.target.parentElement.querySelector(act);
        if (target && !target.disabled) target.click();
        return;
      }
      // Esc in a suggestion's editor cancels the edit (as 取消修改 does); elsewhere it leaves the field.
      const cancel = editor && e.target.parentElement.querySelector(".act-edit-cancel");
      if (e.key === "Escape") { if (cancel) cancel.click(); else e.target.blur(); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || !state.event || state.refused) return;  // refused: no key acts
    if (/^[1-9]$/.test(e.key)) {  // the n-th card shown (dismissed ones are not counted)
      const index = visible()[Number(e.key) - 1];
      if (index !== undefined) useSuggestion(index);
    }
    else if (e.key === "e") { e.preventDefault(); editSuggestion(state.selected); }
    else if (e.shiftKey && e.key.toLowerCase() === "s") {
      // Shift+S sends the selected card as its send button shown does: 发送 (its text), or
      // 发送修改后的 (the edited text) while its editor is open; nothing where sending is off, in
      // flight or done. Not a bare s (nor Caps Lock's S, which has no Shift): sending cannot be
      // undone, and an agent who thinks the focus is in Chatwoot's reply box types s (a review)
      const li = cards()[state.selected];
      const send = li && !li.classList.contains("dismissed") && li.querySelector(".act-edit-send, .actions:not([hidden]) .act-send");
      if (send && !send.disabled) { e.preventDefault(); send.click(); }
    }
    else if (e.key === "Escape") dismissSuggestion(state.selected);
    else if (e.key === "ArrowDown") select(visible().find((i) => i > state.selected) ?? state.selected);
    else if (e.key === "ArrowUp") select(visible().reverse().find((i) => i < state.selected) ?? state.selected);
  });

  // --- Chatwoot Dashboard App --------------------------------------------------------------
  window.addEventListener("message", (e) => {
    let message = e.data;
    if (typeof message === "string") {
      try { message = JSON.parse(message); } catch (err) { return; }
    }
    if (!message || message.event !== "appContext" || !message.data) return;
    const agent = message.data.currentAgent;  // missing on older Chatwoot versions
    // named as the admin page names agents: the name, else 客服 and Chatwoot's agent id
    if (agent) state.agent = String(agent.name || (agent.id ? "客服 " + agent.id : "")).slice(0, 200);
    const conversation = message.data.conversation;
    if (!conversation || conversation.id === undefined || conversation.id === null) return;
    state.account = Number(conversation.account_id) || state.account;
    state.inbox = Number(conversation.inbox_id) || state.inbox;
    follow(String(conversation.id));
  });

  // --- try-it mode -------------------------------------------------------------------------
  async function tryMessage(e) {
    e.preventDefault();
    if (state.refused) return;
    const text = $("try-text").value;
    const r = await fetch("/panel/try", {
      method: "POST",
      headers: authHeaders(),
      // ?shop= on the page's address: the shop to try (the operator's token may try any shop)
      body: JSON.stringify({ text, earlier: $("try-earlier").value, ...(params.get("shop") ? { shop: params.get("shop") } : {}) }),
    });
    const answer = await r.json().catch(() => ({}));
    if (!r.ok) {
      toast(errorText(r.status, answer, r.headers));
      if (refusesToken(r.status, answer)) refuse("无权访问：" + errorText(r.status, answer, r.headers));
      return;
    }
    render(answer);
  }

  $("recent").open = !NARROW.matches;
  NARROW.addEventListener("change", () => { $("recent").open = !NARROW.matches; });

  if (location.pathname.replace(/\/$/, "") === "/panel/try") {
    $("try").hidden = false;
    $("try").addEventListener("submit", tryMessage);
    // Enter (or Ctrl+Enter) tries the message, Shift+Enter starts a new line; never while an input
    // method is composing (its Enter picks the characters).
    $("try-text").addEventListener("keydown", (e) => {
      if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) return;
      e.preventDefault();
      $("try").requestSubmit();
    });
    $("empty").textContent = "输入客户消息后点“试一试”";
    setStatus("idle", "试用模式");
  } else {
    connect();
    if (window.parent !== window) window.parent.postMessage("chatwoot-dashboard-app:fetch-info", "*");
  }
})();

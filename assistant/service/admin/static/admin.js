// The admin page: token login, then the shop's statistics and knowledge gaps from the admin API.
// Everything customer- or agent-written goes on the page with textContent, never as markup.
import { emptyChart, hbars, lines, stackedBars, widthOf } from "/admin/charts.js";

const KEY = "huashu-admin-token";
const SHOP_KEY = "huashu-admin-shop";  // the shop picked (the operator's), kept across a reload
const $ = (id) => document.getElementById(id);
// Cue and escalation names: the panel's labels.js (loaded before this module), so both pages agree.
const { CUES, LEVELS, ESCALATIONS, ACTIONS } = window.huashuLabels;
const STAGES = [["pre_sale", "售前"], ["in_sale", "售中"], ["after_sale", "售后"]];
const OUTCOMES = [
  { key: "used", name: "原样使用", cls: "s-used" },
  { key: "edited", name: "修改后使用", cls: "s-edited" },
  { key: "not_used", name: "未使用", cls: "s-not-used" },
];

const GAPS_SHOWN = 8;  // gaps listed at first; 显示更多 lists as many again (the API lists up to 200)
const GAPS_MOST = 200;
let gapsShown = GAPS_SHOWN;
const CANDIDATES_SHOWN = 10;
const JOB_POLL_MS = 500;
const REASONS = { unanswerable: "没有合适推荐时的回复", heavy_edit: "大幅改写了推荐" };
const JOB_STATES = { queued: "排队中", running: "进行中", done: "完成", failed: "失败" };
let shop = null;
const names = new Map();  // shop id -> its name (the shop record's: its shop.yaml's)
let loads = 0;  // each load's number: only the latest one draws (a slow shop never overwrites the picked one)

function node(name, className, text) {
  const element = document.createElement(name);
  if (className) element.className = className;
  if (text !== undefined && text !== null) element.textContent = String(text);
  return element;
}

// A customer's wording as a list shows it: at most EXAMPLE_CHARS characters (a 999-character
// 我我我… filled a phone's screen), the rest cut with …, the whole text in the tooltip.
const EXAMPLE_CHARS = 80;
function clipped(name, className, text) {
  const chars = Array.from(String(text));
  if (chars.length <= EXAMPLE_CHARS) return node(name, className, text);
  const element = node(name, className, `${chars.slice(0, EXAMPLE_CHARS - 1).join("")}…`);
  element.title = String(text);
  return element;
}

// A time from the API (UTC, ISO 8601) in the shop's zone, as YYYY-MM-DD HH:MM: the days of the
// statistics are the shop's (Asia/Shanghai), so its times are too, whatever the browser's zone.
const ZONE = "Asia/Shanghai";
const ZONE_NAME = `北京时间（${ZONE}）`;
const SHOP_TIME = new Intl.DateTimeFormat("en-US", {
  timeZone: ZONE, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
});
function shopTime(iso) {
  const when = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  if (Number.isNaN(when.getTime())) return iso.replace("T", " ").slice(0, 16);
  const part = Object.fromEntries(SHOP_TIME.formatToParts(when).map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}`;
}
function seen(iso) {
  const span = node("span", "gap-seen", `最近 ${shopTime(iso)}`);
  span.title = ZONE_NAME;
  return span;
}

function percent(value) {
  return value === null || value === undefined ? "–" : `${(100 * value).toFixed(1)}%`;
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 4000);
}

class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.status = status;
    this.body = body;  // the API's error envelope (`errors`: field and message), when it answered one
  }
}

async function api(path, options = {}) {
  const token = sessionStorage.getItem(KEY);
  // a JSON body is a string; a FormData (an upload) gets its multipart type and boundary from fetch
  const json = typeof options.body === "string";
  const headers = { Authorization: `Bearer ${token}`, ...(json ? { "Content-Type": "application/json" } : {}) };
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch (error) {
    throw new ApiError(0, "服务连接不上，请稍后再试");
  }
  let body = null;
  try { body = await response.json(); } catch (error) { body = null; }
  if (!response.ok) throw new ApiError(response.status, problemText(response.status, body), body);
  return body;
}

// What an error answer (the API's envelope, in English) means for the admin, in Chinese. A
// knowledge file's own problem (`file:line: what`) is kept after the Chinese, since it says where.
const PROBLEMS = {
  "401 Authorization": "令牌无效或已被撤销，请重新登录",
  "403 Authorization": "需要管理员令牌（admin token），客服令牌不能登录管理页",
  "403 shop": "这个令牌不能管理这家店铺",
  "404 shop": "没有这家店铺",
  "404 gap": "这个知识缺口已经不在列表里了（可能已被回答），请刷新页面",
  "409 gap": "这个知识缺口已经写成 FAQ 了，不用再加",
  "404 candidate": "这条候选回复已经不在列表里了（可能已写入知识库），请刷新页面",
  "409 candidate": "这条候选回复已经审核过了",
  "422 answer": "内容不能为空",
  "404 replaces": "原条目已经不在知识库里了，请刷新页面",
  "422 replaces": "这条回复没有改写这个条目，不能替换它",
  "503 index": "该店铺的索引还没有建好，请稍后再试",
};

function problemText(status, body) {
  const first = body && body.errors && body.errors[0];
  const field = first ? first.field : "";
  const known = PROBLEMS[`${status} ${field}`];
  if (known) return known;
  if (status === 422 && field === "body") return `知识库校验没有通过：${first.message}`;
  if (status === 408 || status === 429 || status === 503 || status === 504) return "服务正忙，请稍后再试";
  if (status === 400 || status === 422) return field ? `输入有误（${field}）` : "输入有误";
  if (status >= 500) return `服务出错了${body && body.request_id ? `（请求编号 ${body.request_id}）` : ""}，请稍后再试`;
  return `请求没有成功（HTTP ${status}）`;
}

function showLogin(message) {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(SHOP_KEY);
  shop = null;
  loads += 1;
  $("dashboard").hidden = true;
  $("logout").hidden = true;
  $("window-label").hidden = true;
  $("shop-label").hidden = true;
  $("shop-picker").replaceChildren();
  names.clear();
  $("shop").textContent = "";
  $("login").hidden = false;
  $("login-error").hidden = !message;
  $("login-error").textContent = message || "";
  $("token").focus();
}

async function login(event) {
  event.preventDefault();
  const token = $("token").value.trim();
  if (!token) return showLogin("请输入管理员令牌");
  sessionStorage.setItem(KEY, token);
  await start();
}

async function start() {
  let me;
  try {
    me = await api("/v1/admin/me");
  } catch (error) {
    return showLogin(error.status === 401 || error.status === 403 ? `登录失败：${error.message}` : error.message);
  }
  const shops = me.shops && me.shops.length ? me.shops : [{ shop: me.shop, name: me.shop }];
  const kept = sessionStorage.getItem(SHOP_KEY);
  shop = shops.some((s) => s.shop === kept) ? kept : me.shop;
  showShops(shops);
  $("token").value = "";
  $("login").hidden = true;
  $("dashboard").hidden = false;
  $("logout").hidden = false;
  $("window-label").hidden = false;
  await load();
}

// The shop picker: the shops the token may act on (the operator's every shop), shown only when
// there is more than one; each option's text is the shop's name and id, as text.
function showShops(shops) {
  const picker = $("shop-picker");
  names.clear();
  for (const s of shops) names.set(s.shop, s.name || s.shop);
  picker.replaceChildren(...shops.map((s) => {
    const option = node("option", "", shopLabel(s.shop));
    option.value = s.shop;
    return option;
  }));
  picker.value = shop;
  $("shop-label").hidden = shops.length < 2;
  showShopName();
}

// A shop as the admin knows it: its name, with its id (what the API, the CLI and tokens use).
function shopLabel(id) {
  const name = names.get(id);
  return name && name !== id ? `${name}（${id}）` : id;
}

function showShopName() {
  $("shop").textContent = `店铺 ${shopLabel(shop)}`;
  $("shop").title = $("shop").textContent;
}

// The shop's name changed (an uploaded shop.yaml names it, or another admin's did): header and picker.
function renamed(id, name) {
  if (!name || names.get(id) === name) return;
  names.set(id, name);
  for (const option of $("shop-picker").options) if (option.value === id) option.textContent = shopLabel(id);
  if (id === shop) showShopName();
}

async function pickShop() {
  shop = $("shop-picker").value;
  sessionStorage.setItem(SHOP_KEY, shop);
  showShopName();
  clearData();  // nothing of the shop left is shown under the one picked, even when its load fails
  await load();
}

// Every card's data, whatever the cards are: tiles, charts, notes and lists.
function clearData() {
  const board = $("dashboard");
  drawnStats = null;  // a resize never draws the charts of the shop left
  for (const value of board.querySelectorAll(".tile-value")) value.textContent = "–";
  for (const note of board.querySelectorAll(".tile-note, .note")) note.textContent = "";
  for (const drawn of board.querySelectorAll(".chart, ol")) drawn.replaceChildren();
  $("index-state").hidden = true;
  $("more-gaps").hidden = true;
  resetUpload();
}

// A shop with no snapshot to serve (new, or its build failed): its statistics and candidates
// still show; the gaps wait for the index (GET .../gaps `index`). While it builds, the page
// follows the job and loads again once it is done.
const INDEX_STATES = {
  building: "该店铺还没有索引，正在构建…",
  failed: "该店铺还没有可用的索引，最近一次构建失败",
  missing: "该店铺还没有索引（还没有构建过，或索引文件读不出来）",
  empty: "该店铺还没有知识条目，没有可以构建的内容",
};
const INDEX_WAIT = "统计和候选回复照常显示；知识缺口要等索引建好后才能归组列出。";

function renderIndex(index, mine) {
  const box = $("index-state");
  const button = $("index-build");
  box.hidden = index.state === "ready";
  box.classList.toggle("failed", index.state === "failed");
  button.hidden = ["ready", "building", "empty"].includes(index.state);
  button.disabled = false;
  if (index.state === "ready") return;
  if (index.state === "building") return followIndex(index.job, mine);
  const why = index.state === "failed" && index.problem ? `：${index.problem}` : "";
  if (index.state === "empty") {
    $("index-state-text").textContent = `${INDEX_STATES.empty}。请在本页最下面的「知识文件」上传知识文件（或在运行服务的`
      + `机器上执行 huashu admin knowledge upload ${shop} 知识文件夹），保存后会自动构建索引。`;
    return;
  }
  const todo = index.state === "failed"
    ? "请按上面的提示修正知识库（错误会指出文件和行），再点「重新构建索引」。"
    : "点「重新构建索引」开始构建。";
  $("index-state-text").textContent = `${INDEX_STATES[index.state] || index.state}${why}。${todo}${INDEX_WAIT}`;
}

async function followIndex(job, mine) {
  const building = (j) => {
    const progress = j.state === "running" ? `（${Math.round(100 * (j.progress || 0))}%）` : "";
    return `${INDEX_STATES.building}${progress}构建完成后本页会自动刷新。${INDEX_WAIT}`;
  };
  if (!job) {
    $("index-state-text").textContent = building({ state: "queued" });
    return;
  }
  await followJob(job, (j) => { if (mine === loads) $("index-state-text").textContent = building(j); });
  if (mine === loads) await load();  // built (the gaps can be listed) or failed (said, with what to do)
}

async function buildIndex() {
  const button = $("index-build");
  button.disabled = true;
  const mine = loads;
  try {
    const started = await api(`/v1/admin/shops/${encodeURIComponent(shop)}/rebuild`, { method: "POST" });
    if (mine !== loads) return;
    button.hidden = true;
    $("index-state").classList.remove("failed");
    await followIndex(started.job, mine);
  } catch (error) {
    if (error.status === 401 || error.status === 403) return showLogin(error.message);
    button.disabled = false;
    toast(`没有开始构建：${error.message}`);
  }
}

// After a decision in one list (a gap closed, a candidate approved or rejected) the other list is
// read again from the API, so the page shows what the server holds: a candidate whose reply a
// closed gap published is gone, and so is a gap an approved reply now answers. Items the admin is
// working on stay as they are: a decided one (it follows its rebuild) and one being edited.
const refreshes = { gaps: 0, candidates: 0 };

async function refreshList(which) {
  const mine = loads;
  const turn = ++refreshes[which];
  const days = $("days").value;
  const base = `/v1/admin/shops/${encodeURIComponent(shop)}`;
  try {
    if (which === "gaps") {
      const data = await api(`${base}/gaps?days=${days}&limit=${gapsShown}`);
      if (mine === loads && turn === refreshes.gaps) renderGaps(data, true);
    } else {
      const data = await api(`${base}/candidates?days=${days}&limit=${CANDIDATES_SHOWN}`);
      if (mine === loads && turn === refreshes.candidates) renderCandidates(data, true);
    }
  } catch (error) {
    if (error.status === 401 || error.status === 403) return showLogin(error.message);
    if (mine === loads) toast(`列表没有刷新：${error.message}`);
  }
}

// The list's new items: the API's, with the ones the admin is working on kept (decided ones the
// API no longer lists go last).
function mergeItems(list, listed, make) {
  const kept = new Map();
  for (const item of list.children) {
    if (item.dataset.id && (item.classList.contains("closed") || item.dataset.editing === "yes")) {
      kept.set(item.dataset.id, item);
    }
  }
  const items = listed.map((x) => kept.get(x.id) || make(x));
  const ids = new Set(listed.map((x) => x.id));
  for (const [id, item] of kept) if (!ids.has(id) && item.classList.contains("closed")) items.push(item);
  return items;
}

async function load(keepGaps = false) {
  if (!keepGaps) gapsShown = GAPS_SHOWN;
  const days = $("days").value;
  const base = `/v1/admin/shops/${encodeURIComponent(shop)}`;
  const mine = ++loads;
  $("load-error").hidden = true;
  document.body.dataset.loaded = "no";
  for (const note of $("dashboard").querySelectorAll(".tile-note, #gaps-note, #candidates-note")) note.textContent = "加载中…";
  // Each card draws as soon as its own call answers (a first /gaps may take seconds while the
  // statistics answer in milliseconds); a failed call says so under the cards, once.
  const failed = (error) => {
    if (mine !== loads) return;
    if (error.status === 401 || error.status === 403) return showLogin(error.message);
    $("load-error").textContent = `加载失败：${error.message}`;
    $("load-error").hidden = false;
  };
  const card = (path, draw, notes) => api(path).then((data) => { if (mine === loads) draw(data); }, (error) => {
    if (mine === loads) for (const id of notes) $(id).textContent = "";
    failed(error);
  });
  await Promise.all([
    card(`${base}/stats?days=${days}`, (stats) => {
      renderStats(stats.stats);
      renderReplies(stats.stats.replies);
    }, [...$("dashboard").querySelectorAll(".tile-note")].map((n) => n.id)),
    card(`${base}/gaps?days=${days}&limit=${gapsShown}`, (gaps) => {
      renderIndex(gaps.index, mine);
      renderGaps(gaps);
    }, ["gaps-note"]),
    card(`${base}/candidates?days=${days}&limit=${CANDIDATES_SHOWN}`, renderCandidates, ["candidates-note"]),
    api(base).then((data) => {
      if (mine !== loads) return;
      renamed(data.shop.shop, data.shop.name);
      renderFiles(data.shop.knowledge.files);
    }, (error) => {
      if (mine !== loads) return;
      if (error.status === 404) return renderFiles({});  // served, but not in the store: no files of its own
      failed(error);
    }),
  ]);
  if (mine !== loads) return;
  document.body.dataset.shop = shop;
  document.body.dataset.loaded = "yes";
}

// The day charts are drawn at their card's width; a resize (a phone turned, a window narrowed)
// draws them again at the new width.
let drawnStats = null;
let drawnWidth = 0;
new ResizeObserver(() => {
  const width = $("dashboard").clientWidth;
  if (!drawnStats || !width || width === drawnWidth) return;
  drawnWidth = width;
  drawDayCharts(drawnStats);
}).observe($("dashboard"));

function renderStats(stats) {
  drawnStats = stats;
  drawnWidth = $("dashboard").clientWidth;
  renderTilesAndBars(stats);
  drawDayCharts(stats);
}

function renderTilesAndBars(stats) {
  const a = stats.acceptance, c = stats.coverage, e = stats.emotion, l = stats.latency;
  $("tile-acceptance").textContent = percent(a.used_share);
  $("tile-acceptance-note").textContent = `${a.replies} 条回复：原样 ${a.used} · 修改 ${a.edited} · 未用 ${a.not_used}`;
  $("tile-coverage").textContent = percent(c.share);
  $("tile-coverage-note").textContent = `${c.answerable} / ${c.messages} 条消息`;
  $("tile-escalations").textContent = String(e.escalations);
  $("tile-escalations-note").textContent = `${e.with_cue} 条消息有情绪提示`;
  $("tile-latency").textContent = l.p95_ms === null ? "–" : `${Math.round(l.p95_ms)} ms`;
  $("tile-latency-note").textContent = l.count ? `p50 ${Math.round(l.p50_ms)} · p99 ${Math.round(l.p99_ms)} ms · ${l.count} 次` : "暂无数据";

  renderBars(stats);
}

function drawDayCharts(stats) {
  const a = stats.acceptance, c = stats.coverage, l = stats.latency;
  const days = a.by_day.map((d) => d.day);
  if (a.replies) {
    stackedBars($("chart-acceptance"), {
      labels: days,
      width: widthOf($("chart-acceptance")),
      series: OUTCOMES.map((o) => ({ ...o, values: a.by_day.map((d) => d[o.key]) })),
    });
  } else {
    emptyChart($("chart-acceptance"), "这段时间还没有客服回复可以比对");
  }
  if (c.messages) {
    lines($("chart-coverage"), {
      labels: c.by_day.map((d) => d.day),
      series: [{ name: "覆盖率", cls: "s-coverage", values: c.by_day.map((d) => (d.messages ? d.answerable / d.messages : null)) }],
      max: 1,
      width: widthOf($("chart-coverage")),
      format: (v) => `${Math.round(100 * v)}%`,
    });
  } else {
    emptyChart($("chart-coverage"), "这段时间还没有客户消息");
  }
  if (l.count) {
    lines($("chart-latency"), {
      labels: l.by_day.map((d) => d.day),
      series: [
        { name: "p50", cls: "s-p50", values: l.by_day.map((d) => (d.count ? d.p50_ms : null)) },
        { name: "p95", cls: "s-p95", values: l.by_day.map((d) => (d.count ? d.p95_ms : null)) },
      ],
      width: widthOf($("chart-latency")),
    });
  } else {
    emptyChart($("chart-latency"), "暂无数据");
  }
}

function renderBars(stats) {
  const e = stats.emotion;
  const cueParts = [{ name: LEVELS.medium, cls: "s-medium" }, { name: LEVELS.high, cls: "s-high" }];
  if (e.cues.length) {
    hbars($("chart-cues"), e.cues.map((cue) => ({
      label: CUES[cue.cue] || cue.cue,
      parts: [{ ...cueParts[0], value: cue.medium }, { ...cueParts[1], value: cue.high }],
      note: String(cue.medium + cue.high),
    })), cueParts);
  } else {
    emptyChart($("chart-cues"), "没有情绪提示");
  }
  const reasonParts = [{ name: "升级", cls: "s-high" }];
  if (e.escalation_reasons.length) {
    hbars($("chart-escalations"), e.escalation_reasons.map((r) => ({
      label: ESCALATIONS[r.reason] || r.reason, parts: [{ ...reasonParts[0], value: r.count }], note: String(r.count),
    })), reasonParts);
  } else {
    emptyChart($("chart-escalations"), "没有升级");
  }
  if (stats.agents.length) {
    hbars($("chart-agents"), stats.agents.map((agent) => {
      const actions = Object.entries(agent.panel_actions).map(([k, v]) => `${ACTIONS[k] || k} ${v}`).join(" · ");
      return {
        label: agent.agent,
        parts: OUTCOMES.map((o) => ({ ...o, value: agent[o.key] })),
        note: `回复 ${agent.replies}${actions ? ` · 面板 ${actions}` : ""}`,
      };
    }), OUTCOMES);
  } else {
    emptyChart($("chart-agents"), "这段时间没有客服回复");
  }
}

// What the agents did with the shop's replies: the weekly report's lists (GET .../stats `replies`).
// A panel pick (使用, 编辑, 发送 pressed on it) is evidence of use even when the reply the agent
// sent was not matched to the entry: the bar shows the picks beyond the matched sends.
const PICKED = { key: "picked_only", name: "面板选用", cls: "s-picked" };

function renderReplies(replies) {
  const parts = [...OUTCOMES.slice(0, 2), PICKED];
  if (replies.most_used.length) {
    hbars($("chart-replies"), replies.most_used.map((r) => {
      const values = { ...r, picked_only: Math.max(0, r.picked - r.used - r.edited) };
      return {
        label: r.text || r.entry_id,
        parts: parts.map((o) => ({ ...o, value: values[o.key] })),
        note: `发送 ${r.used + r.edited} · 面板选用 ${r.picked} / 展示 ${r.shown}`,
      };
    }), parts);
  } else {
    emptyChart($("chart-replies"), "这段时间还没有客服发送推荐的回复");
  }
  const edited = $("replies-edited");
  edited.replaceChildren();
  for (const r of replies.often_edited) {
    const item = node("li", "reply-line");
    item.append(node("span", "reply-text", r.text || r.entry_id));
    const kept = r.mean_similarity === null ? "" : ` · 平均保留 ${percent(r.mean_similarity)}`;
    item.append(node("span", "reply-meta", `修改后发送 ${r.edited} 次 · 原样 ${r.used} 次${kept}`));
    if (r.latest_edit) item.append(node("span", "reply-edit", `最近一次改成：${r.latest_edit}`));
    edited.append(item);
  }
  if (!replies.often_edited.length) edited.append(node("li", "empty", "没有经常被修改的回复"));
  const unused = $("replies-unused");
  unused.replaceChildren();
  // Listed on evidence only: shown first while the agent's real reply was recorded, and it was never
  // this one (nor picked in the panel). Shown alone, or behind the answer taken, proves nothing.
  for (const r of replies.never_used) {
    const item = node("li", "reply-line");
    item.append(node("span", "reply-text", r.text || r.entry_id));
    item.append(node("span", "reply-meta", `展示 ${r.shown} 次，其中 ${r.replied} 次排在首位而客服回复了别的，从未发送`));
    unused.append(item);
  }
  if (!replies.never_used.length) {
    const none = replies.known_replies
      ? `没有展示多次却没人用的回复（至少 ${replies.min_replied} 次排在首位而客服回复了别的才算）`
      : "还没有客服回复的记录，暂不建议下架";
    unused.append(node("li", "empty", none));
  }
  const unshown = replies.never_shown ? `另有 ${replies.never_shown} 条回复这段时间一次也没有展示。` : "";
  const fresh = replies.too_new ? `这段时间新加入或改过的 ${replies.too_new} 条还不算（用的时间还不够）。` : "";
  $("replies-unshown").textContent = unshown + fresh;
}

function renderGaps(data, keep = false) {
  const list = $("gaps");
  const days = $("days").value;
  renderAskedOnce(data);
  if (data.index && data.index.state !== "ready") {
    $("gaps-note").textContent = `最近 ${days} 天有 ${data.unanswered} 条实质问题没有合适回复；索引建好后才能把相近的问题归组。`;
    list.replaceChildren(node("li", "empty", "索引建好后这里会列出知识缺口"));
    $("more-gaps").hidden = true;
    return;
  }
  $("gaps-note").textContent = `最近 ${days} 天还有 ${data.unanswered} 条实质问题没有合适回复（已关闭或现在已能回答的不算）；相近的问题归为一组。时间为${ZONE_NAME}，与统计的日期相同。`;
  const most = Math.max(1, ...data.gaps.map((g) => g.count));
  const items = keep ? mergeItems(list, data.gaps, (g) => gapItem(g, most)) : data.gaps.map((g) => gapItem(g, most));
  list.replaceChildren(...items);
  if (!items.length) list.append(node("li", "empty", "没有知识缺口"));
  showMoreGaps(data);
}

// The messages asked once that no gap holds (`asked_once`), apart from the gaps and never ranked
// with them: the latest first, each with the agent's reply. A second customer asking one moves it
// into a gap, and it leaves this list.
function renderAskedOnce(data) {
  const list = $("asked-once");
  const once = data.asked_once || [];
  list.replaceChildren(...once.map(onceItem));
  if (!once.length) {
    const ready = !data.index || data.index.state === "ready";
    list.append(node("li", "empty", ready ? "没有只问过一次的问题" : "索引建好后这里会列出只问过一次的问题"));
  }
}

function onceItem(message) {
  const item = node("li", "once");
  const when = node("span", "gap-seen", shopTime(message.at));
  when.title = ZONE_NAME;
  const reply = message.reply === null || message.reply === undefined
    ? node("span", "once-reply muted", "客服没有回复")
    : node("span", "once-reply", `客服回复：${message.reply}`);
  item.append(clipped("span", "example", message.text), when, reply);
  return item;
}

// How many open gaps the list leaves out, and a button that lists more of them.
function showMoreGaps(data) {
  const more = $("more-gaps");
  const hidden = (data.open_gaps || 0) - data.gaps.length;
  more.hidden = hidden <= 0 || gapsShown >= GAPS_MOST;
  if (more.hidden) return;
  $("gaps-note").textContent += ` 共 ${data.open_gaps} 组，显示了问得最多的 ${data.gaps.length} 组。`;
  more.textContent = `再显示 ${Math.min(GAPS_SHOWN, hidden)} 组（还有 ${hidden} 组）`;
}

$("more-gaps").addEventListener("click", () => {
  gapsShown = Math.min(GAPS_MOST, gapsShown + GAPS_SHOWN);
  refreshList("gaps");
});

// How often, against the most frequent item listed: a bar filled in proportion (at least 4 %).
function countMeter(count, most, fillClass) {
  const meter = node("span", "gap-meter");
  const fill = node("span", fillClass);
  fill.style.width = `${Math.max(4, (100 * count) / most)}%`;
  meter.append(fill);
  return meter;
}

function gapItem(gap, most) {
  const item = node("li", "gap");
  item.dataset.gap = gap.id;
  item.dataset.id = gap.id;
  const head = node("div", "gap-head");
  const meter = countMeter(gap.count, most, "gap-fill");
  head.append(node("span", "gap-count", `${gap.count} 次`), meter,
    seen(gap.last_seen));
  const examples = node("ul", "gap-examples");
  for (const text of gap.examples.slice(0, 3)) examples.append(clipped("li", "example", text));
  // how many different wordings the gap's messages used: the form below lists every one to tick
  const worded = wordingsOf(gap).length + (gap.unlisted_wordings || 0);
  const wordingsNote = node("p", "gap-wordings-note", `共 ${worded} 种问法（写成 FAQ… 里可以逐一勾选）`);
  wordingsNote.hidden = worded <= Math.min(3, gap.examples.length);
  const replies = node("ul", "gap-replies");
  for (const reply of gap.replies) {
    const li = node("li", "reply");
    li.append(node("span", "reply-count", `×${reply.count}`), node("span", "reply-text", reply.text));
    replies.append(li);
  }
  if (!gap.replies.length) replies.append(node("li", "reply muted", "客服没有回复过"));
  const form = closeForm(gap, item);
  form.hidden = true;
  const open = node("button", "act close-open", "写成 FAQ…");
  open.type = "button";
  open.addEventListener("click", () => {
    item.dataset.editing = "yes";
    open.hidden = true;
    form.hidden = false;
    form.querySelector("textarea").focus();
  });
  item.append(head, node("h3", "", "客户问法"), examples, wordingsNote, node("h3", "", "客服的实际回复"), replies, open, form);
  return item;
}

function closeForm(gap, item) {
  const form = node("form", "close");
  const answer = node("textarea", "close-answer");
  answer.rows = 3;
  answer.maxLength = 4000;
  answer.value = gap.suggested_reply || "";
  answer.placeholder = "写一条标准回复";
  answer.setAttribute("aria-label", "新 FAQ 的回答");
  const stage = node("select", "close-stage");
  stage.setAttribute("aria-label", "阶段");
  for (const [value, label] of STAGES) {
    const option = node("option", "", label);
    option.value = value;
    stage.append(option);
  }
  // The gap's wordings become the entry's questions: a gap may group unrelated messages, so the
  // admin keeps only those the answer is for (a user test: a price-protection answer learned
  // 配送员电话 as one of its wordings).
  const asked = node("fieldset", "close-asked");
  asked.append(node("legend", "", "收录这些问法（答非所问的取消勾选）"));
  // every distinct wording (`wordings`; `examples` are only the first few): a user test's FAQ lost
  // the sixth wording of a gap of six, never shown to tick
  const boxes = wordingsOf(gap).map((text) => {
    const label = node("label", "close-wording");
    const box = node("input", "close-wording-box");
    box.type = "checkbox";
    box.checked = true;
    box.value = text;
    label.append(box, clipped("span", "", text));
    asked.append(label);
    return box;
  });
  // wordings past those the API lists (a very large gap): counted, and included only when the admin
  // ticks them knowingly (nobody read them; the API takes at most 100 variants in all)
  let unlisted = null;
  if (gap.unlisted_wordings > 0) {
    const label = node("label", "close-unlisted");
    unlisted = node("input", "close-unlisted-box");
    unlisted.type = "checkbox";
    unlisted.checked = false;
    label.append(unlisted, node("span", "", `另有 ${gap.unlisted_wordings} 种问法没有列出，一并收录（每条 FAQ 最多收录 100 种问法）`));
    asked.append(label);
  }
  const button = node("button", "act act-main close-go", "加入知识库");
  button.type = "submit";
  const row = node("div", "close-row");
  row.append(stage, button);
  form.append(answer, asked, row);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      if (!answer.value.trim()) {  // never the pre-filled reply in place of an emptied box
        button.disabled = false;
        toast("没有加入：内容不能为空");
        answer.focus();
        return;
      }
      const wordings = boxes.filter((box) => box.checked).map((box) => box.value);
      if (!wordings.length) {
        button.disabled = false;
        toast("没有加入：至少勾选一个问法");
        return;
      }
      const body = { stage: stage.value, days: Number($("days").value), answer: answer.value.trim(),
        question: wordings[0], variants: wordings, unlisted_wordings: Boolean(unlisted && unlisted.checked) };
      const closed = await api(`/v1/admin/shops/${encodeURIComponent(shop)}/gaps/${encodeURIComponent(gap.id)}/close`,
        { method: "POST", body: JSON.stringify(body) });
      item.classList.add("closed");
      const note = node("p", "closed-note", `已加入知识库：${closed.entry.id}（${closed.file}）`);
      form.replaceWith(note);
      toast(`已加入知识库：${closed.entry.id}`);
      refreshList("candidates");  // a candidate of the same reply is no longer pending
      refreshList("gaps");  // the note's count of unanswered messages leaves the closed gap's out
      const done = `已加入知识库：${closed.entry.id}（${closed.file}）`;
      await followJob(closed.job, (job) => { note.textContent = jobText(done, job); });
      if (closed.job.state !== "done") await Promise.all([refreshList("candidates"), refreshList("gaps")]);
    } catch (error) {
      if (error.status === 401 || error.status === 403) return showLogin(error.message);
      button.disabled = false;
      toast(`没有加入：${error.message}`);
    }
  });
  return form;
}

function wordingsOf(gap) {
  return gap.wordings && gap.wordings.length ? gap.wordings : gap.examples;
}

function renderCandidates(data, keep = false) {
  const list = $("candidates");
  $("candidates-note").textContent = `最近 ${$("days").value} 天待审核的回复，按发送次数；通过后写入知识库并重建索引。时间为${ZONE_NAME}，与统计的日期相同。`;
  const most = Math.max(1, ...data.candidates.map((c) => c.count));
  const make = (c) => candidateItem(c, most);
  const items = keep ? mergeItems(list, data.candidates, make) : data.candidates.map(make);
  list.replaceChildren(...items);
  if (!items.length) list.append(node("li", "empty", "没有待审核的回复"));
}

function candidateItem(c, most = c.count) {
  const item = node("li", "gap candidate");
  item.dataset.candidate = c.id;
  item.dataset.id = c.id;
  const head = node("div", "gap-head");
  // the meter: how often it was sent, against the most sent candidate listed (as the gaps' meters)
  const meter = countMeter(c.count, most, "gap-fill cand-fill");
  head.append(node("span", "gap-count", `${c.count} 次`), node("span", "cand-reason", REASONS[c.reason] || c.reason),
    meter, seen(c.last_seen));
  const wordings = node("ul", "gap-examples");
  for (const text of c.wordings.slice(0, 3)) wordings.append(clipped("li", "example wording", text));
  if (!c.wordings.length) wordings.append(node("li", "example muted", "（没有客户问法）"));
  const answer = node("textarea", "close-answer cand-answer");
  answer.rows = 3;
  answer.maxLength = 4000;
  answer.value = c.reply;
  answer.setAttribute("aria-label", "通过后的回答（可修改）");
  answer.addEventListener("input", () => {
    item.dataset.editing = "yes";
    if (status.classList.contains("failed") && !item.classList.contains("closed")) status.hidden = true;
  });
  const agents = node("p", "cand-agents", `客服（${c.agents.length}）：${c.agents.join("、")}`);
  const approve = node("button", "act act-main cand-approve", "通过");
  approve.type = "button";
  const reject = node("button", "act cand-reject", "拒绝");
  reject.type = "button";
  // a heavy edit may replace the answer of the entry the agent rewrote instead of adding one beside it
  const replaces = (c.reason === "heavy_edit" ? c.edited_entries : []).map((id) => {
    const button = node("button", "act cand-replace", `替换原条目 ${id}`);
    button.type = "button";
    button.dataset.entry = id;
    button.title = `用这条回复替换 ${id} 的回答（保留它的问法、标签和文件），不另加新条目`;
    return button;
  });
  // the entry's stage: the candidate's own (inferred by the service), the admin may change it
  const stage = node("select", "close-stage cand-stage");
  stage.setAttribute("aria-label", "阶段");
  for (const [value, label] of STAGES) {
    const option = node("option", "", label);
    option.value = value;
    option.selected = value === c.stage;
    stage.append(option);
  }
  const buttons = [approve, reject, ...replaces];
  const row = node("div", "close-row");
  row.append(reject, ...replaces, stage, approve);
  const status = node("p", "cand-status");
  status.hidden = true;
  const say = (text, cls) => {
    status.textContent = text;
    status.className = `cand-status${cls ? ` ${cls}` : ""}`;
    status.hidden = false;
  };
  const path = `/v1/admin/shops/${encodeURIComponent(shop)}/candidates/${encodeURIComponent(c.id)}`;
  const decide = async (action, body) => {
    for (const button of buttons) button.disabled = true;
    try {
      return await api(`${path}/${action}`, { method: "POST", body: JSON.stringify(body) });
    } catch (error) {
      if (error.status === 401 || error.status === 403) showLogin(error.message);
      for (const button of buttons) button.disabled = false;
      toast(`没有完成：${error.message}`);
      return null;
    }
  };
  const publish = async (original) => {
    const body = { days: Number($("days").value) };
    if (original) body.replaces = original;
    else if (stage.value) body.stage = stage.value;  // as shown: the service would infer it again
    const text = answer.value.trim();
    if (!text) {  // never the agents' original text in place of an emptied box
      say("内容不能为空", "failed");
      toast("没有通过：内容不能为空");
      answer.focus();
      return;
    }
    if (text !== c.reply.trim()) body.answer = text;
    const done = await decide("approve", body);
    if (!done) return;
    answer.readOnly = true;
    item.classList.add("closed");
    row.hidden = true;
    const entry = done.approved[0].entry.id;
    const what = original ? `已替换原条目 ${entry} 的回答` : `已通过：${entry}`;
    toast(what);
    refreshList("gaps");
    const cls = (job) => (job.state === "done" || job.state === "failed" ? job.state : "");
    await followJob(done.job, (job) => say(jobText(what, job), cls(job)));
    // the gaps the new entry answers leave the list once the snapshot serving it is active
    if (done.job.state !== "done") await refreshList("gaps");
  };
  approve.addEventListener("click", () => publish(null));
  for (const button of replaces) button.addEventListener("click", () => publish(button.dataset.entry));
  reject.addEventListener("click", async () => {
    if (!(await decide("reject", { days: Number($("days").value) }))) return;
    item.classList.add("closed");
    row.hidden = true;
    answer.readOnly = true;
    say("已拒绝：不会再提出这条回复");
    await refreshList("gaps");
  });
  item.append(head, node("h3", "", "客户问法"), wordings, node("h3", "", "回复（可修改后通过）"), answer, agents, row, status);
  return item;
}

function jobText(done, job) {
  const state = JOB_STATES[job.state] || job.state;
  if (job.state === "done") return `${done}；索引重建完成，已生效（版本 ${job.version}）`;
  if (job.state === "failed") return `${done}；索引重建失败：${job.error || ""}`;
  const progress = job.state === "running" ? ` ${Math.round(100 * (job.progress || 0))}%` : "";
  return `${done}；索引重建${state}${progress}`;
}

async function followJob(job, show) {
  for (;;) {
    show(job);
    document.body.dataset.job = job.state;
    if (job.state === "done" || job.state === "failed") return;
    await new Promise((resolve) => { setTimeout(resolve, JOB_POLL_MS); });
    try {
      job = (await api(`/v1/admin/jobs/${encodeURIComponent(job.id)}`)).job;
    } catch (error) {
      if (error.status === 401 || error.status === 403) return showLogin(error.message);
    }
  }
}

// --- the shop's knowledge files: upload from the page -------------------------------------------
// The upload is the admin API's (POST .../knowledge, multipart: each part's name is the file's path
// in the knowledge). The shop's files are listed, each picked file gets its path (the shop's file
// of that name, else where such a file lives), which the admin may change; a refusal shows the
// API's own problems (file and line) as text, and the rebuild it starts is followed as a close's is.
const TOP_FILES = /^(shop\.yaml|policies\.yaml|promotions\.yaml|products\.yaml|past_replies(_[^/]+)?\.jsonl)$/;
const KNOWLEDGE_FILE = /\.(ya?ml|jsonl)$/;
let shopFiles = [];  // the selected shop's knowledge files, as its record lists them
let picked = [];  // [{file, path: <input>}]

function renderFiles(files) {
  shopFiles = Object.keys(files || {});
  const list = $("knowledge-files");
  list.replaceChildren(...shopFiles.map((path) => node("li", "", `${path}（${files[path]} 条）`)));
  if (!shopFiles.length) list.append(node("li", "empty", "还没有知识文件"));
}

function knowledgePath(file) {
  const relative = file.webkitRelativePath || "";
  if (relative.includes("/")) return relative.split("/").slice(1).join("/");  // a folder: its own layout
  const known = shopFiles.find((path) => path === file.name || path.endsWith(`/${file.name}`));
  if (known) return known;
  return TOP_FILES.test(file.name) ? file.name : `faq/${file.name}`;
}

function pickFiles(files) {
  const chosen = [...files];
  const kept = chosen.filter((file) => KNOWLEDGE_FILE.test(file.name));
  const skipped = chosen.length - kept.length;
  picked = kept.map((file) => {
    const path = node("input", "upload-path");
    path.value = knowledgePath(file);
    path.spellcheck = false;
    path.setAttribute("aria-label", `${file.name} 在知识库里的路径`);
    return { file, path };
  });
  $("upload-list").replaceChildren(...picked.map(({ file, path }) => {
    const item = node("li", "upload-item");
    item.append(node("span", "upload-name", `${file.webkitRelativePath || file.name} →`), path);
    return item;
  }));
  $("upload-go").disabled = !picked.length;
  $("upload-remove").hidden = true;
  $("upload-problems").replaceChildren();
  const note = skipped ? `跳过了 ${skipped} 个不是知识文件的文件（只收 .yaml 和 .jsonl）` : "";
  showUpload(note, "");
}

function showUpload(text, cls) {
  const status = $("upload-status");
  status.textContent = text;
  status.className = `upload-status${cls ? ` ${cls}` : ""}`;
  status.hidden = !text;
}

function resetUpload() {
  picked = [];
  shopFiles = [];
  $("upload-files").value = "";
  $("upload-folder").value = "";
  $("upload-list").replaceChildren();
  $("upload-problems").replaceChildren();
  $("upload-go").disabled = true;
  $("upload-remove").hidden = true;
  showUpload("", "");
}

// The API's problems, each as it says it (`faq/a.yaml:3: ...`), under the field it names.
function showProblems(items, cls = "") {
  $("upload-problems").replaceChildren(...items.map((item) => {
    const text = typeof item === "string" ? item : String(item.message || "");
    const field = typeof item === "string" ? "" : String(item.field || "");
    return node("li", cls, field && !text.startsWith(field) ? `${field}：${text}` : text);
  }));
}

function refusal(error) {
  const body = error.body || {};
  const errors = Array.isArray(body.errors) ? body.errors : [];
  if (error.status === 409 && Array.isArray(body.would_remove)) {
    return [`没有上传：会删除 ${body.would_remove.length} 个条目（上传的文件里没有它们），什么都没有改动。`
      + "把它们加回文件里再上传，或点「仍然上传，并删除这些条目」。", errors];
  }
  if (error.status === 422 && errors.length) {
    return ["没有上传：知识文件没有通过校验，什么都没有改动。请按下面指出的文件和行修改后再上传。", errors];
  }
  if (error.status === 413) return [`没有上传：文件太大，什么都没有改动。`, errors];
  if (error.status === 415 || error.status === 400) return [`没有上传：${error.message}，什么都没有改动。`, errors];
  return [`没有上传：${error.message}`, errors];
}

async function uploadKnowledge(removeMissing) {
  const target = shop;
  const files = picked;
  if (!files.length) return;
  const form = new FormData();
  for (const { file, path } of files) form.append(path.value.trim(), file, file.name);
  const buttons = [$("upload-go"), $("upload-remove")];
  for (const button of buttons) button.disabled = true;
  $("upload-problems").replaceChildren();
  showUpload("上传中…", "");
  const query = removeMissing ? "?remove_missing=true" : "";
  let said;
  try {
    said = await api(`/v1/admin/shops/${encodeURIComponent(target)}/knowledge${query}`, { method: "POST", body: form });
  } catch (error) {
    if (error.status === 401 || error.status === 403) return showLogin(error.message);
    if (target !== shop) return;
    const [text, errors] = refusal(error);
    showUpload(text, "failed");
    showProblems(errors);
    $("upload-go").disabled = false;
    $("upload-remove").disabled = false;
    $("upload-remove").hidden = !(error.status === 409 && error.body && error.body.would_remove);
    return;
  }
  if (target !== shop) return;
  $("upload-remove").hidden = true;
  picked = [];
  $("upload-list").replaceChildren();
  $("upload-files").value = "";
  $("upload-folder").value = "";
  renamed(target, said.name);
  const parts = [said.unchanged
    ? "上传的文件与店铺现有的知识相同，没有改动"
    : `已上传 ${said.files.length} 个文件：${said.files.join("、")}（店铺现有 ${said.entries} 个条目）`];
  if (said.removed && said.removed.length) parts.push(`已删除 ${said.removed.join("、")}`);
  if (said.renamed_from) parts.push(`店铺改名：${said.renamed_from} → ${said.name}`);
  const done = parts.join("；");
  showProblems((said.warnings || []).map((w) => `请留意：${w}`), "warning");
  if (!said.job) {
    showUpload(said.unchanged ? done : `${done}；索引没有重建`, "done");
  } else {
    const cls = (job) => (job.state === "done" || job.state === "failed" ? job.state : "");
    await followJob(said.job, (job) => { if (target === shop) showUpload(jobText(done, job), cls(job)); });
  }
  if (target === shop) await load(true);  // the files, the index state, the gaps the new knowledge answers
}

$("upload-files").addEventListener("change", (event) => pickFiles(event.target.files));
$("upload-folder").addEventListener("change", (event) => pickFiles(event.target.files));
$("upload").addEventListener("submit", (event) => {
  event.preventDefault();
  uploadKnowledge(false);
});
$("upload-remove").addEventListener("click", () => uploadKnowledge(true));

$("login").addEventListener("submit", login);
$("logout").addEventListener("click", () => showLogin(""));
$("days").addEventListener("change", () => load());
$("shop-picker").addEventListener("change", () => pickShop());
$("index-build").addEventListener("click", () => buildIndex());
if (sessionStorage.getItem(KEY)) start(); else showLogin("");

// The Chinese names of emotion cues, their levels and the reasons to escalate: one source for the
// agent panel (/panel/labels.js) and the admin page (/admin/labels.js), so both say the same.
// A plain script (the panel is not a module): it sets window.huashuLabels before either page runs.
"use strict";

window.huashuLabels = Object.freeze({
  CUES: Object.freeze({
    anger: "愤怒", anxiety: "着急", disappointment: "失望", complaint_risk: "投诉风险",
    confusion: "困惑", hesitation: "犹豫", satisfaction: "满意",
  }),
  LEVELS: Object.freeze({ medium: "中", high: "高" }),
  ESCALATIONS: Object.freeze({
    anger_high: "客户非常生气", complaint_high: "投诉风险高", anger_rising: "情绪在升级",
    repeated_question: "同一个问题问了又问", unanswered_chasing: "连续追问没人回", rising_punctuation: "语气越来越急",
    long_wait: "已经等了很久", carried_anger: "之前的怒气还在",
  }),
  // The agent's actions in the panel, as its buttons name them (the admin page's agents chart).
  ACTIONS: Object.freeze({ use: "使用", edit: "修改", send: "发送", dismiss: "忽略", cue_wrong: "情绪不准" }),
  // What the panel says when the service refuses: the API's error envelope ({status, error,
  // errors: [{field, message}]}) is in English for developers, so the panel says it in Chinese by
  // status and the field at fault ("status:field", else "status"), never the English verbatim.
  ERRORS: Object.freeze({
    "400": "请求格式有误",
    "401": "令牌无效或已被撤销，请向管理员要新的面板链接",
    "401:no-token": "链接缺少令牌，请向管理员要面板链接",
    "403": "这个令牌无权进行此操作",
    "403:shop": "这个令牌不属于本店",
    "403:account_id": "这个 Chatwoot 账号或收件箱不属于本店，不能从这里发送",
    "404": "找不到要访问的内容",
    "404:shop": "店铺不存在",
    "408": "请求超时，请重试",
    "413": "内容太长",
    "415": "请求格式有误",
    "422": "提交的内容有误",
    "422:conversation": "会话编号无效（1–200 个字符）",
    "422:conversation_id": "Chatwoot 会话编号应为数字",
    "422:account_id": "不知道是哪个 Chatwoot 账号：请在 Chatwoot 里打开面板",
    "422:text": "内容不能为空",
    "429": "服务繁忙，请稍后再试",
    "500": "服务出错了，请稍后再试",
    "502": "服务暂时连不上，请稍后再试",
    "502:chatwoot": "Chatwoot 拒收了这条消息或连不上，请稍后再试",
    "503": "服务暂不可用，请稍后再试",
    "503:chatwoot": "本店还没有配置 Chatwoot 发送（需要 Chatwoot 地址和 API 令牌）",
    "503:index": "本店的知识库索引还没有加载好，请稍后再试",
    "503:message": "消息暂时没能保存（数据库忙），请稍后再试",
    "504": "处理超时，请稍后再试",
  }),
  // The Chinese for an error answer of the service: its status, body (the envelope, or {}) and
  // headers when at hand: a 401 whose challenge (WWW-Authenticate) names no error had no token.
  errorText(status, body, headers) {
    const errors = body && Array.isArray(body.errors) ? body.errors : [];
    const field = errors.length && errors[0] ? String(errors[0].field || "") : "";
    const known = window.huashuLabels.ERRORS;
    const challenge = (headers && headers.get("WWW-Authenticate")) || "";
    if (status === 401 && /^Bearer\b/i.test(challenge) && !/error=/i.test(challenge)) return known["401:no-token"];
    return known[status + ":" + field] || known[String(status)] || "出错了（" + status + "）";
  },
  // The panel's tooltip while its shop is not ready (the stream's `reason` is English).
  notReady(progress) {
    return typeof progress === "number" ? "本店的知识库索引正在首次构建，完成后自动显示建议" : "本店的知识库索引还没有加载好";
  },
});

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
});

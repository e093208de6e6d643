// The words the offline scripts show, in the page's language (Chinese first, as the pages).
// Validation messages are not here: they come from the server's problem catalogue
// (census/domain/problems.py), embedded in each form page.

const TEXT = {
  zh: {
    outbox: "待发送",
    needs_fix: "需要修改",
    sync_now: "立即同步",
    syncing: "正在同步…",
    offline_banner: "离线 · {n} 条待发送",
    offline_banner_none: "离线 · 没有待发送的登记",
    offline_ready_n: "已可离线使用 · 本机已存 {n} 页",
    keeping: "正在存到本机，以便离线使用 {done}/{total}",
    keep_incomplete: "离线准备未完成 {done}/{total}，有信号时继续",
    kind_returned: "审核退回 {n}",
    kind_refused: "未通过校验 {n}",
    review_comment: "审核意见",
    returned_here: "审核退回",
    returned_hint: "请按审核意见修改后再保存",
    review_note: "审核意见：{text}",
    review_check: "审核意见：请核对",
    review_check_marked: "请核对表单中标出的项目",
    gone_members: "涉及已删除的成员：{fields}",
    state_waiting: "等待发送",
    state_sending: "正在发送",
    state_sent: "已发送",
    state_rejected: "被退回，需要修改",
    state_conflict: "已发送，与他人的修改冲突，待审核员处理",
    saved: "已保存",
    saved_sending: "已保存到本机，正在发送…",
    waiting_here: "这份登记还在本机等待发送；修改后保存，发送的就是修改后的这一份。",
    open_edit: "修改",
    saved_local: "已保存到本机，有信号时会自动发送",
    rejected_here: "这份登记被退回了，请按提示修改后重新保存。",
    login_needed: "登录已失效，请重新登录后再同步。",
    log_in: "重新登录",
    draft_restored: "已恢复上次没有保存的填写内容。",
    drafts_here: "本楼栋有 {n} 份未填完的草稿：",
    resume: "继续填写",
    open_fix: "修改",
    discard: "删除",
    discard_sure: "确认删除？",
    start_over: "放弃草稿，重新填写",
    offline_draft: "现在没有网络，填写的内容已存为草稿；有信号后再保存。",
    sent_already: "这份登记已经保存过了，下面是一份新的登记表。",
    photo_still_busy: "照片还在处理，这份登记还没有保存。请稍候再点“保存”，或清除这张照片后保存。",
    saved_at: "保存于 {time}",
    edited_at: "最后修改 {time}",
    record_no: "户编号 {no}",
    problems_n: "{n} 处需要修改",
    member_n: "成员 {n}",
    unit: "单元",
    untitled: "（未填地址）",
    logout_pending: "还有 {n} 份登记没有发送。退出后要重新登录才能发送，确定退出吗？",
    general: "整份登记",
    visit_saved: "已记录：{door} {outcome}",
    visit_local: "已记录在本机：{door} {outcome}，有信号时自动发送",
    visit_rejected: "这次走访没有记上：{door}，请看“需要修改”。",
    visit_flagged: "{door} 已 {n} 次无人在家，已提醒社区工作人员",
    visit_again: "已记录过了：{door} {outcome}（一分钟内重复点击只算一次走访）",
    visit_undone: "已撤销：{door} {outcome}",
    undo: "撤销",
  },
  en: {
    outbox: "Outbox",
    needs_fix: "To correct",
    sync_now: "Sync now",
    syncing: "Syncing…",
    offline_banner: "Offline · {n} waiting",
    offline_banner_none: "Offline · nothing waiting",
    offline_ready_n: "Ready offline · {n} pages on this tablet",
    keeping: "Keeping on this tablet for offline use {done}/{total}",
    keep_incomplete: "Offline copy incomplete {done}/{total}; it goes on when there is signal",
    kind_returned: "Returned by review {n}",
    kind_refused: "Failed checks {n}",
    review_comment: "Reviewer's comment",
    returned_here: "Returned by review",
    returned_hint: "Correct it as the reviewer says, then save",
    review_note: "Reviewer: {text}",
    review_check: "Reviewer: please check",
    review_check_marked: "Please check the fields marked on the form",
    gone_members: "About members since removed: {fields}",
    state_waiting: "Waiting",
    state_sending: "Sending",
    state_sent: "Sent",
    state_rejected: "Sent back: needs correction",
    state_conflict: "Sent; conflicts with another change, waiting for a reviewer",
    saved: "Saved",
    saved_sending: "Saved on this tablet; sending…",
    waiting_here: "This form is still waiting on this tablet to be sent; save your changes and this version is the one sent.",
    open_edit: "Edit",
    saved_local: "Saved on this tablet; it is sent as soon as there is signal",
    rejected_here: "This form was sent back: correct what is marked and save again.",
    login_needed: "Your login has expired: log in again to send.",
    log_in: "Log in",
    draft_restored: "What you typed last time has been restored.",
    drafts_here: "{n} unfinished draft(s) in this building:",
    resume: "Continue",
    open_fix: "Correct",
    discard: "Discard",
    discard_sure: "Discard for good?",
    start_over: "Discard the draft and start again",
    offline_draft: "There is no signal: what you typed is kept as a draft; save it when there is signal.",
    sent_already: "That form was saved already; this is a new one.",
    photo_still_busy: "The photo is still being prepared, so the form is not saved yet. Press Save again in a moment, or clear the photo to save without it.",
    saved_at: "Saved {time}",
    edited_at: "Last changed {time}",
    record_no: "Household no. {no}",
    problems_n: "{n} thing(s) to correct",
    member_n: "Member {n}",
    unit: "-",
    untitled: "(no address yet)",
    logout_pending: "{n} form(s) have not been sent. After logging out you must log in again to send them. Log out?",
    general: "Whole form",
    visit_saved: "Recorded: {door} {outcome}",
    visit_local: "Kept on this tablet: {door} {outcome}; it is sent as soon as there is signal",
    visit_rejected: "This visit was not recorded: {door}; see “To correct”.",
    visit_flagged: "{door}: nobody home {n} times; the community staff have been told",
    visit_again: "Recorded already: {door} {outcome} (taps within a minute are one visit)",
    visit_undone: "Withdrawn: {door} {outcome}",
    undo: "Undo",
  },
};

export const lang = (document.documentElement.lang || "zh").toLowerCase().startsWith("en") ? "en" : "zh";

/** The text for `key` in the page's language, with {placeholders} filled from `params`. */
export function t(key, params = {}) {
  const template = TEXT[lang][key] ?? TEXT.zh[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** A timestamp as staff read it: 2026-11-27 08:57 (local time). */
export function when(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Building, unit and room as staff write them (3栋2单元301), for lists of drafts and outbox items. */
export function address(data) {
  const unit = data.unit ? `${data.unit}${t("unit")}` : "";
  const text = `${data.building || ""}${unit}${data.room || ""}`;
  return text || t("untitled");
}

// The server's checks, run in the browser before a form is saved, so that most mistakes are
// caught at the door and without signal. This is a port of census/surveys/validate.py
// (clean), census/domain/ids.py (resident IDs) and census/domain/contact.py (phones, USCC);
// the rules come from the form definition and the messages from the problem catalogue, both
// embedded in the page by the server. The server still checks everything; warnings that
// need other records or tables (an ID already in another household, a region code missing
// from the code table, which the tablet does not carry) stay on the server, whose answer
// shows them after the save, as it shows the note on a 15-digit ID number it upgraded.

const MOBILE = /^1[3-9][0-9]{9}$/;
const LANDLINE = /^0[0-9]{2,3}-[0-9]{7,8}(-[0-9]{1,6})?$/;
const COUNTRY = /^(\+|00)?86(?=1[3-9][0-9]{9}$)/;
const EXTENSION = /(?:转|分机|ext\.?|x|#)([0-9]{1,6})$/i;
const DIGITS = /^[0-9]+$/;
const SPACES = /[\s\u200b\ufeff]+/g;
const DASHES = /[\u2010-\u2015\u2212]/g;
const INVISIBLE = /[\s\u200b-\u200f\u2060\ufeff]+/g;
const ID_BODY = /^[0-9]{17}[0-9X]$/;
const FIRST_GENERATION = /^[0-9]{15}$/;
const ID_SHAPE = /^[0-9]{14,17}[0-9X]$/; // a resident ID with a digit too many or too few
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

function evaluate(tree, env) {
  // The one evaluator of skip logic in the browser lives in forms.js.
  return globalThis.CensusForms.evaluate(tree, env);
}

const blank = (v) => v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0);
const join = (prefix, key) => (prefix ? `${prefix}.${key}` : key);
const problem = (code, path, params = {}) => ({ code, path, params });

/** Today as YYYY-MM-DD in the tablet's time. */
export function today() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// "YYYY-MM-DD" (or YYYYMMDD) of a real calendar day, else null.
function isoDay(text) {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  if (year < 1 || d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

// --- phones (contact.py) ---------------------------------------------------------------

function landline(digits, extension) {
  if (digits.length < 10) return null;
  const cut = "12".includes(digits[1]) ? 3 : 4;
  const number = `${digits.slice(0, cut)}-${digits.slice(cut)}` + (extension ? `-${extension}` : "");
  return LANDLINE.test(number) ? number : null;
}

/** One phone number cleaned as the server does: 13812345678, 0991-1234567(-801). */
export function normalisePhone(raw) {
  const cleaned = (raw || "").normalize("NFKC").replace(SPACES, "").replace(DASHES, "-");
  let text = cleaned;
  let extension = "";
  const match = EXTENSION.exec(text);
  if (match) {
    extension = match[1];
    text = text.slice(0, match.index);
  }
  text = text.replaceAll("(", "").replaceAll(")", "-");
  const flat = text.replaceAll("-", "").replace(COUNTRY, "");
  if (!extension && MOBILE.test(flat)) return flat;
  const groups = text.split("-").filter(Boolean);
  if (!groups.length || !groups.every((g) => DIGITS.test(g)) || !flat.startsWith("0")) return cleaned;
  let number = landline(flat, extension);
  if (number === null && !extension && groups.length > 1) {
    number = landline(groups.slice(0, -1).join(""), groups[groups.length - 1]);
  }
  return number || cleaned;
}

export function checkPhone(raw) {
  if (!raw || !raw.trim()) return [];
  const number = normalisePhone(raw);
  return MOBILE.test(number) || LANDLINE.test(number) ? [] : [problem("phone_invalid", "")];
}

// --- unified social credit codes (contact.py, stdnum cn.uscc) -----------------------------

export function checkUscc(code) {
  if (!code || !code.trim()) return [];
  const number = code.normalize("NFKC").replace(/[ -]/g, "").toUpperCase().trim();
  let reason = null;
  if (number.length !== 18) reason = "长度";
  else if (!/^[0-9]{8}$/.test(number.slice(0, 8)) || [...number.slice(8)].some((c) => !USCC_ALPHABET.includes(c))) reason = "格式";
  else {
    const total = [...number.slice(0, 17)].reduce((sum, c, i) => sum + USCC_ALPHABET.indexOf(c) * USCC_WEIGHTS[i], 0);
    if (number[17] !== USCC_ALPHABET[(31 - (total % 31)) % 31]) reason = "校验位";
  }
  return reason ? [problem("uscc_invalid", "", { reason })] : [];
}

// --- resident IDs (ids.py) ------------------------------------------------------------------

/** Fix what is unambiguous: spaces, full-width characters (NFKC), a lowercase x. */
export function normaliseId(raw) {
  return (raw || "").normalize("NFKC").replace(INVISIBLE, "").replaceAll("x", "X");
}

/** The GB 11643 MOD 11-2 check character of the first 17 digits. */
export function idCheckDigit(number) {
  const total = ID_WEIGHTS.reduce((sum, w, i) => sum + w * Number(number[i]), 0);
  const digit = (12 - (total % 11)) % 11;
  return digit === 10 ? "X" : String(digit);
}

// The birth date of a 15-digit number (characters 7-12, YYMMDD of the 1900s), else null.
function firstGenerationBirth(number) {
  return isoDay(`19${number.slice(6, 12)}`);
}

/** The 18-digit number of a valid 15-digit resident ID ("19" and a check character), else null. */
export function upgradeId(raw) {
  const number = normaliseId(raw);
  if (!FIRST_GENERATION.test(number) || firstGenerationBirth(number) === null) return null;
  const body = `${number.slice(0, 6)}19${number.slice(6)}`;
  return body + idCheckDigit(body);
}

/** Checked as a resident ID: the type says so, or a blank type and a number shaped like one. */
export function isResidentId(idType, raw, rules) {
  if (idType === rules.resident_id) return true;
  if (idType) return false;
  const number = normaliseId(raw);
  return [...number].length === 18 || ID_SHAPE.test(number);
}

/** Check a normalised resident ID: {problems, birth, sex}; birth and sex only when valid. */
export function checkResidentId(number, rules, day = today()) {
  if ([...number].length === 15) {
    if (!FIRST_GENERATION.test(number)) return { problems: [problem("id15_format", "")] };
    if (firstGenerationBirth(number) === null) return { problems: [problem("id15_birth_date", "", { value: number.slice(6, 12) })] };
    number = upgradeId(number);
  }
  if ([...number].length !== 18) return { problems: [problem("id_length", "", { length: [...number].length })] };
  if (!ID_BODY.test(number)) return { problems: [problem("id_format", "")] };
  const problems = [];
  let birth = isoDay(number.slice(6, 14));
  const value = number.slice(6, 14);
  if (birth === null) {
    problems.push(problem("id_birth_date", "", { value }));
  } else if (birth > day) {
    problems.push(problem("id_birth_future", "", { value }));
    birth = null;
  } else if (Number(birth.slice(0, 4)) < rules.earliest_birth_year) {
    problems.push(problem("id_birth_too_early", "", { value, year: rules.earliest_birth_year }));
    birth = null;
  }
  const expected = idCheckDigit(number);
  if (number[17] !== expected) problems.push(problem("id_checksum", "", { expected }));
  if (problems.length || birth === null) return { problems };
  return { problems: [], birth, sex: Number(number[16]) % 2 ? "male" : "female" };
}

// --- the form (validate.py) -----------------------------------------------------------------

function coerce(f, value, path, day, out) {
  if (f.type === "select_many") return blank(value) ? [] : [].concat(value);
  if (typeof value === "string") value = value.trim();
  if (blank(value)) return null;
  value = String(value);
  if (f.type === "text" || f.type === "textarea") {
    if (f.max_length && [...value].length > f.max_length) out.push(problem("text_too_long", path, { max: f.max_length }));
    if (f.pattern) {
      let re = null;
      try { re = new RegExp(`^(?:${f.pattern})$`, "u"); } catch (error) { re = null; } // the server checks it
      if (re && !re.test(value)) out.push(problem("pattern_mismatch", path));
    }
    return value;
  }
  if (f.type === "integer") {
    const digits = value.normalize("NFKC");
    if (!/^-?[0-9]+$/.test(digits)) {
      out.push(problem("integer_invalid", path));
      return value;
    }
    const number = Number(digits);
    if (f.min !== undefined && number < f.min) out.push(problem("integer_min", path, { min: f.min }));
    if (f.max !== undefined && number > f.max) out.push(problem("integer_max", path, { max: f.max }));
    return number;
  }
  if (f.type === "date") {
    const iso = isoDay(value);
    if (iso === null) {
      out.push(problem("date_invalid", path));
      return value;
    }
    if (f.past && iso > day) out.push(problem("date_future", path));
    return iso;
  }
  if (f.type === "phone") {
    const phone = normalisePhone(value);
    out.push(...checkPhone(phone).map((p) => ({ ...p, path })));
    return phone;
  }
  if (f.type === "uscc") {
    const code = normaliseId(value).toUpperCase();
    out.push(...checkUscc(code).map((p) => ({ ...p, path })));
    return code;
  }
  if (f.type === "id_number") return normaliseId(value);
  return value; // select_one, yes_no: the page only offers valid codes
}

// An ID number against its siblings; fills a blank birth date and sex as the server will.
// Returns the blank fields an erroneous ID would have filled (not asked for again).
function checkId(f, record, prefix, rules, day, out) {
  const number = record[f.key];
  if (!number) return [];
  // An edit form shows stored numbers masked (110105********002X): sent back unchanged, the
  // server keeps the stored number; any other masked text it refuses, with its own message.
  if (number.includes("*")) return [];
  const birthKey = f.birth_date_field;
  const sexKey = f.sex_field;
  const givenBirth = birthKey ? record[birthKey] : null;
  const givenSex = sexKey ? record[sexKey] : null;
  const birth = typeof givenBirth === "string" ? isoDay(givenBirth) : null;
  const idType = f.id_type_field ? record[f.id_type_field] : null;
  const resident = isResidentId(idType, number, rules);
  const unfilled = () => [birthKey, sexKey].filter((k) => k && blank(record[k]));
  if (!resident) {
    if (!number.trim() || [...number].length > rules.id_max_length || /[\p{C}\p{Z}]/u.test(number)) {
      out.push(problem("pattern_mismatch", join(prefix, f.key)));
      return unfilled();
    }
    return [];
  }
  // A valid 15-digit number is checked, and compared with the other members, as the 18
  // digits the server stores.
  const longer = upgradeId(number);
  if (longer !== null) record[f.key] = longer;
  const result = checkResidentId(longer || normaliseId(number), rules, day);
  for (const p of result.problems) out.push({ ...p, path: join(prefix, f.key) });
  if (result.problems.length) return unfilled();
  if (birth !== null && birth !== result.birth) out.push(problem("birth_date_mismatch", join(prefix, birthKey), { expected: result.birth }));
  if (givenSex && givenSex !== result.sex) out.push(problem("sex_mismatch", join(prefix, sexKey), { expected: rules.sex_words[result.sex] }));
  if (birthKey && givenBirth === null) record[birthKey] = result.birth;
  if (sexKey && givenSex === null) record[sexKey] = result.sex;
  if (f.id_type_field && idType === null) record[f.id_type_field] = rules.resident_id;
  return [];
}

// What an entry's expressions read: its answers, the levels around it (nearest first) and
// its position, as validate.py gives them; the form itself reads only its own answers.
function scopeEnv(record, outer, position) {
  return outer ? { ...record, __outer__: outer, __position__: position } : record;
}

function cleanRecord(fields, raw, prefix, rules, day, out, outer, position) {
  const record = {};
  for (const f of fields) {
    if (f.type === "repeat") continue;
    let value = raw[f.key];
    if (blank(value) && f.default !== undefined && !(f.key in raw)) value = f.default;
    record[f.key] = coerce(f, value, join(prefix, f.key), day, out);
  }
  const excused = new Set();
  for (const f of fields) {
    if (f.type === "id_number") checkId(f, record, prefix, rules, day, out).forEach((k) => excused.add(k));
  }
  const around = outer ? { ...outer, ...record } : record;
  for (const f of fields) {
    if (f.type === "repeat") record[f.key] = cleanRepeat(f, raw[f.key], join(prefix, f.key), rules, day, out, around);
  }
  const env = scopeEnv(record, outer, position);
  for (const f of fields) {
    const path = join(prefix, f.key);
    if (f.relevant && !evaluate(f.relevant, env)) {
      // Skip logic: an answer to a question not asked is dropped, and never required.
      record[f.key] = f.type === "select_many" || f.type === "repeat" ? [] : null;
      const kept = out.filter((p) => p.path !== path && !p.path.startsWith(`${path}[`) && !p.path.startsWith(`${path}.`));
      out.splice(0, out.length, ...kept);
    } else if (f.required && blank(record[f.key]) && !excused.has(f.key)) {
      out.push(problem("required", path));
    }
  }
  return record;
}

function cleanRepeat(f, raw, path, rules, day, out, outer) {
  const items = Array.isArray(raw) ? raw : [];
  // A row left entirely blank is not a member; paths keep the row's index on the page.
  const kept = items
    .map((item, n) => [n, item])
    .filter(([, item]) => item && Object.values(item).some((v) => !blank(v)));
  const cleaned = kept.map(([n, item], i) => cleanRecord(f.fields, item, `${path}[${n}]`, rules, day, out, outer, i + 1));
  if (cleaned.length < (f.min_items || 0)) out.push(problem("members_empty", path));
  if (f.exactly_one && cleaned.length) {
    const count = cleaned.filter((item) => evaluate(f.exactly_one.when, item)).length;
    if (count !== 1) out.push(problem(f.exactly_one.problem, path, { count }));
  }
  for (const sub of f.fields.filter((s) => s.type === "id_number")) {
    const seen = new Map();
    kept.forEach(([n], i) => {
      const number = cleaned[i][sub.key];
      if (number && seen.has(number)) {
        out.push(problem("id_duplicate_in_household", `${path}[${n}].${sub.key}`, { other: seen.get(number) + 1 }));
      } else if (number) {
        seen.set(number, n);
      }
    });
  }
  return cleaned;
}

/** Every error the server would find in these answers without looking at other records. */
export function check(rules, raw, day = today()) {
  const out = [];
  cleanRecord(rules.fields, raw, "", rules, day, out);
  return out;
}

/** A problem's message in the page's language, from the server's catalogue. */
export function message(rules, p) {
  const template = rules.messages[p.code] || p.code;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in p.params ? String(p.params[name]) : whole));
}

// Survey forms in the browser: skip logic and calculations from the same expression trees
// the server uses (census/domain/expr.py), labels and notes filled with the answers
// (${name}), repeat counts, the tablet's location for a geopoint, and adding or removing
// roster members without a round trip.
// Without JavaScript the form still works: the server re-renders with the same answers.
(function () {
  "use strict";

  // --- ODK's values and functions, as census/domain/expr.py has them ------------------------
  var DAY = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/;
  var NUMBER = /^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/;

  function blank(v) { return v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0); }
  function truth(v) {
    if (Array.isArray(v)) return v.length > 0;
    if (typeof v === "number") return v !== 0 && !isNaN(v);
    return !!v;
  }
  function days(text) {
    var m = DAY.exec(String(text).trim());
    if (!m) return null;
    var y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]);
    var t = Date.UTC(y, mo - 1, d);
    var check = new Date(t);
    if (y < 1 || check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
    var secs = Number(m[4] || 0) * 3600 + Number(m[5] || 0) * 60 + Number(m[6] || 0);
    return Math.round(t / 86400000) + secs / 86400;
  }
  function number(v) {
    if (typeof v === "boolean") return v ? 1 : 0;
    if (typeof v === "number") return v;
    if (typeof v === "string") {
      if (NUMBER.test(v)) return Number(v);
      var n = days(v);
      return n === null ? NaN : n;
    }
    return NaN;
  }
  function string(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") return String(v);
    if (Array.isArray(v)) return v.map(string).join(" ");
    return String(v);
  }
  function items(v) { return Array.isArray(v) ? v : (blank(v) ? [] : [v]); }
  function codes(v) { return Array.isArray(v) ? v.map(string) : string(v).split(/\s+/).filter(Boolean); }
  function chars(s) { return Array.from(string(s)); }
  function pad(n, width) { var s = String(n); while (s.length < width) s = "0" + s; return s; }
  function isoDate(d) { return pad(d.getFullYear(), 4) + "-" + pad(d.getMonth() + 1, 2) + "-" + pad(d.getDate(), 2); }
  function todayText(env) { return env && env.__today__ ? String(env.__today__) : isoDate(new Date()); }
  function nowText() {
    var d = new Date();
    return isoDate(d) + "T" + pad(d.getHours(), 2) + ":" + pad(d.getMinutes(), 2) + ":" + pad(d.getSeconds(), 2);
  }
  function numbers(args) {
    var out = [];
    args.forEach(function (a) { items(a).forEach(function (v) { if (!blank(v)) out.push(number(v)); }); });
    return out;
  }
  function arith(op, a, b) {
    if (op === "+") return a + b;
    if (op === "-") return a - b;
    if (op === "*") return a * b;
    if (op === "/") return a / b;
    if (b === 0 || isNaN(a) || isNaN(b) || !isFinite(a)) return NaN;
    return a % b;
  }
  function roundHalfUp(v, digits) {
    var x = number(v), n = digits === undefined ? 0 : number(digits);
    if (isNaN(x) || isNaN(n) || !isFinite(x)) return x;
    var scale = Math.pow(10, Math.trunc(n));
    return Math.floor(x * scale + 0.5) / scale;
  }
  function dateOf(v) {
    if (typeof v === "string" && days(v) !== null) return v.trim().slice(0, 10);
    var n = number(v);
    if (!isFinite(n)) return "";
    return new Date(Math.floor(n) * 86400000).toISOString().slice(0, 10);
  }
  function formatDate(v, pattern) {
    var n = number(v);
    if (!isFinite(n)) return "";
    var d = new Date(Math.round(n * 86400000 / 1000) * 1000);
    var parts = {
      Y: pad(d.getUTCFullYear(), 4), y: pad(d.getUTCFullYear() % 100, 2), m: pad(d.getUTCMonth() + 1, 2),
      n: String(d.getUTCMonth() + 1), d: pad(d.getUTCDate(), 2), e: String(d.getUTCDate()),
      H: pad(d.getUTCHours(), 2), h: String(d.getUTCHours()), M: pad(d.getUTCMinutes(), 2), S: pad(d.getUTCSeconds(), 2)
    };
    return string(pattern).replace(/%(.)/g, function (whole, c) { return c in parts ? parts[c] : whole; });
  }
  function extreme(pick) {
    return function () {
      var values = numbers(Array.prototype.slice.call(arguments));
      if (!values.length || values.some(isNaN)) return NaN;
      return pick.apply(null, values);
    };
  }
  function fin(f) { return function (v) { var x = number(v); return isFinite(x) ? f(x) : x; }; }

  // --- digest(): MD5, SHA-1, SHA-256/384/512 of a text's UTF-8 bytes, worked out here
  // because the browser's own crypto.subtle answers only asynchronously.
  function utf8(text) { return Array.from(unescape(encodeURIComponent(text)), function (c) { return c.charCodeAt(0); }); }
  function padded(bytes, block, big) {
    var out = bytes.slice(), bits = bytes.length * 8, lenBytes = block / 8;
    out.push(0x80);
    while (out.length % block !== block - lenBytes) out.push(0);
    var len = [];
    for (var i = 0; i < lenBytes; i++) len.push(i < 4 ? Math.floor(bits / Math.pow(2, 8 * i)) & 255 : 0);
    return out.concat(big ? len.reverse() : len);
  }
  function words32(bytes, big) {
    var w = [];
    for (var i = 0; i < bytes.length; i += 4) {
      w.push(big ? ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0
        : ((bytes[i + 3] << 24) | (bytes[i + 2] << 16) | (bytes[i + 1] << 8) | bytes[i]) >>> 0);
    }
    return w;
  }
  function bytes32(words, big) {
    var out = [];
    words.forEach(function (x) { for (var i = 0; i < 4; i++) out.push(big ? (x >>> (24 - 8 * i)) & 255 : (x >>> (8 * i)) & 255); });
    return out;
  }
  function rotl(x, n) { return ((x << n) | (x >>> (32 - n))) >>> 0; }
  function md5(bytes) {
    var K = [], S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
    for (var i = 0; i < 64; i++) K.push(Math.floor(Math.abs(Math.sin(i + 1)) * 4294967296) >>> 0);
    var h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476], w = words32(padded(bytes, 64, false), false);
    for (var c = 0; c < w.length; c += 16) {
      var a = h[0], b = h[1], cc = h[2], d = h[3];
      for (var j = 0; j < 64; j++) {
        var f, g, r = j >> 4;
        if (r === 0) { f = (b & cc) | (~b & d); g = j; } else if (r === 1) { f = (d & b) | (~d & cc); g = (5 * j + 1) % 16; }
        else if (r === 2) { f = b ^ cc ^ d; g = (3 * j + 5) % 16; } else { f = cc ^ (b | ~d); g = (7 * j) % 16; }
        var t = d; d = cc; cc = b;
        b = (b + rotl((a + f + K[j] + w[c + g]) >>> 0, S[r * 4 + (j % 4)])) >>> 0; a = t;
      }
      h = [(h[0] + a) >>> 0, (h[1] + b) >>> 0, (h[2] + cc) >>> 0, (h[3] + d) >>> 0];
    }
    return bytes32(h, false);
  }
  function sha1(bytes) {
    var h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0], m = words32(padded(bytes, 64, true), true);
    for (var c = 0; c < m.length; c += 16) {
      var w = m.slice(c, c + 16);
      for (var i = 16; i < 80; i++) w.push(rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1));
      var a = h[0], b = h[1], cc = h[2], d = h[3], e = h[4];
      for (var j = 0; j < 80; j++) {
        var f = j < 20 ? (b & cc) | (~b & d) : j < 40 ? b ^ cc ^ d : j < 60 ? (b & cc) | (b & d) | (cc & d) : b ^ cc ^ d;
        var k = j < 20 ? 0x5a827999 : j < 40 ? 0x6ed9eba1 : j < 60 ? 0x8f1bbcdc : 0xca62c1d6;
        var t = (rotl(a, 5) + f + e + k + w[j]) >>> 0;
        e = d; d = cc; cc = rotl(b, 30); b = a; a = t;
      }
      h = [(h[0] + a) >>> 0, (h[1] + b) >>> 0, (h[2] + cc) >>> 0, (h[3] + d) >>> 0, (h[4] + e) >>> 0];
    }
    return bytes32(h, true);
  }
  function primes(n) {
    var out = [];
    for (var x = 2; out.length < n; x++) { var p = true; for (var d = 2; d * d <= x; d++) if (x % d === 0) { p = false; break; } if (p) out.push(x); }
    return out;
  }
  function rootFraction(n, k, bits) {  // floor(frac(n^(1/k)) * 2^bits), exactly
    var shift = BigInt(bits), N = BigInt(n) << (shift * BigInt(k)), K = BigInt(k);
    var lo = BigInt(0), hi = BigInt(1) << (shift + BigInt(8));
    while (lo < hi) { var mid = (lo + hi + BigInt(1)) >> BigInt(1); if (mid ** K <= N) lo = mid; else hi = mid - BigInt(1); }
    return lo & ((BigInt(1) << shift) - BigInt(1));
  }
  function sha2(bytes, kind) {
    var wide = kind !== 256, bits = wide ? 64 : 32, B = function (x) { return BigInt(x); };
    var mask = (B(1) << B(bits)) - B(1), P = primes(wide ? 80 : 64);
    var K = P.map(function (p) { return rootFraction(p, 3, bits); });
    var H = P.slice(0, kind === 384 ? 16 : 8).map(function (p) { return rootFraction(p, 2, bits); });
    if (kind === 384) H = H.slice(8, 16);
    if (kind === 256 || kind === 512) H = H.slice(0, 8);
    var rot = function (x, n) { return ((x >> B(n)) | (x << B(bits - n))) & mask; };
    var S = wide ? [28, 34, 39, 14, 18, 41, 1, 8, 7, 19, 61, 6] : [2, 13, 22, 6, 11, 25, 7, 18, 3, 17, 19, 10];
    var size = wide ? 128 : 64, data = padded(bytes, size, true), word = bits / 8;
    for (var c = 0; c < data.length; c += size) {
      var w = [];
      for (var i = 0; i < 16; i++) { var v = B(0); for (var j = 0; j < word; j++) v = (v << B(8)) | B(data[c + i * word + j]); w.push(v); }
      for (i = 16; i < K.length; i++) {
        var s0 = rot(w[i - 15], S[6]) ^ rot(w[i - 15], S[7]) ^ (w[i - 15] >> B(S[8]));
        var s1 = rot(w[i - 2], S[9]) ^ rot(w[i - 2], S[10]) ^ (w[i - 2] >> B(S[11]));
        w.push((w[i - 16] + s0 + w[i - 7] + s1) & mask);
      }
      var x = H.slice();
      for (i = 0; i < K.length; i++) {
        var e = x[4], a = x[0];
        var t1 = (x[7] + (rot(e, S[3]) ^ rot(e, S[4]) ^ rot(e, S[5])) + ((e & x[5]) ^ (~e & mask & x[6])) + K[i] + w[i]) & mask;
        var t2 = ((rot(a, S[0]) ^ rot(a, S[1]) ^ rot(a, S[2])) + ((a & x[1]) ^ (a & x[2]) ^ (x[1] & x[2]))) & mask;
        x = [(t1 + t2) & mask, a, x[1], x[2], (x[3] + t1) & mask, e, x[5], x[6]];
      }
      H = H.map(function (h, n) { return (h + x[n]) & mask; });
    }
    var out = [];
    H.slice(0, kind === 384 ? 6 : 8).forEach(function (h) { for (var j = word - 1; j >= 0; j--) out.push(Number((h >> B(8 * j)) & B(255))); });
    return out;
  }
  var DIGESTS = { "MD5": md5, "SHA-1": sha1, "SHA-256": function (b) { return sha2(b, 256); },
    "SHA-384": function (b) { return sha2(b, 384); }, "SHA-512": function (b) { return sha2(b, 512); } };
  function digest(text, algorithm, encoding) {
    var fn = DIGESTS[string(algorithm).toUpperCase()], how = encoding === undefined ? "base64" : string(encoding).toLowerCase();
    if (!fn || (how !== "base64" && how !== "hex")) return "";
    var out = fn(utf8(string(text)));
    if (how === "hex") return out.map(function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
    return btoa(String.fromCharCode.apply(null, out));
  }
  function translateChars(text, from, to) {
    var table = {}, news = chars(to);
    chars(from).forEach(function (ch, i) { if (!(ch in table)) table[ch] = i < news.length ? news[i] : ""; });
    return chars(text).map(function (ch) { return ch in table ? table[ch] : ch; }).join("");
  }
  function randomText(n) {
    var alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", out = "";
    var size = number(n);
    if (isNaN(size) || size < 0) return "";
    var bytes = new Uint8Array(Math.trunc(size));
    if (typeof crypto !== "undefined" && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else for (var i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
    bytes.forEach(function (b) { out += alphabet[b % 62]; });
    return out;
  }
  function uuid4() {
    var hex = "0123456789abcdef", out = "";
    for (var i = 0; i < 36; i++) {
      if (i === 8 || i === 13 || i === 18 || i === 23) { out += "-"; continue; }
      var r = Math.floor(Math.random() * 16);
      out += i === 14 ? "4" : i === 19 ? hex[(r & 3) | 8] : hex[r];
    }
    return out;
  }
  function mathOf(f) { return function () { return f.apply(null, Array.prototype.map.call(arguments, number)); }; }
  function distance() {
    var texts = [];
    Array.prototype.forEach.call(arguments, function (p) { items(p).forEach(function (v) { texts.push(string(v)); }); });
    if (texts.length === 1) texts = texts[0].split(";");
    var coords = [];
    for (var i = 0; i < texts.length; i++) {
      var parts = texts[i].trim().split(/\s+/);
      if (parts.length < 2) return NaN;
      coords.push([number(parts[0]), number(parts[1])]);
    }
    if (coords.length < 2 || coords.some(function (c) { return isNaN(c[0]) || isNaN(c[1]); })) return NaN;
    var total = 0, rad = Math.PI / 180;
    for (i = 1; i < coords.length; i++) {
      var p1 = coords[i - 1][0] * rad, p2 = coords[i][0] * rad, dp = p2 - p1, dl = (coords[i][1] - coords[i - 1][1]) * rad;
      var h = Math.pow(Math.sin(dp / 2), 2) + Math.cos(p1) * Math.cos(p2) * Math.pow(Math.sin(dl / 2), 2);
      total += 2 * 6378100 * Math.asin(Math.min(1, Math.sqrt(h)));
    }
    return total;
  }
  var FUNCTIONS = {
    coalesce: function () {
      var found = Array.prototype.find.call(arguments, function (a) { return !blank(a); });
      return found === undefined ? "" : found;
    },
    concat: function () { return Array.prototype.map.call(arguments, string).join(""); },
    selected: function (v, code) { return codes(v).indexOf(string(code)) !== -1; },
    count_selected: function (v) { return codes(v).length; },
    selected_at: function (v, n) { var c = codes(v), i = number(n); return i >= 0 && i < c.length ? c[Math.trunc(i)] : ""; },
    int: function (v) { var x = number(v); return isFinite(x) ? Math.trunc(x) : x; },
    round: roundHalfUp,
    number: number,
    string: string,
    boolean: truth,
    string_length: function (v) { return chars(v).length; },
    substr: function (s, start, end) {
      var c = chars(s), first = number(start), last = end === undefined ? c.length : number(end);
      if (isNaN(first) || isNaN(last)) return "";
      return c.slice(Math.max(Math.trunc(first), 0), Math.max(Math.trunc(last), 0)).join("");
    },
    regex: function (s, pattern) {
      try { return new RegExp(string(pattern), "u").test(string(s)); } catch (e) { return false; }
    },
    contains: function (a, b) { return string(a).indexOf(string(b)) !== -1; },
    starts_with: function (a, b) { return string(a).indexOf(string(b)) === 0; },
    ends_with: function (a, b) { var x = string(a), y = string(b); return x.slice(x.length - y.length) === y || y === ""; },
    normalize_space: function (v) { return string(v).split(/\s+/).filter(Boolean).join(" "); },
    floor: fin(Math.floor),
    ceiling: fin(Math.ceil),
    abs: function (v) { return Math.abs(number(v)); },
    pow: function (a, b) { return Math.pow(number(a), number(b)); },
    sum: function () {
      var values = numbers(Array.prototype.slice.call(arguments));
      if (values.some(isNaN)) return NaN;
      return values.reduce(function (t, x) { return t + x; }, 0);
    },
    count: function (v) { return items(v).length; },
    min: extreme(Math.min),
    max: extreme(Math.max),
    date: dateOf,
    decimal_date_time: number,
    format_date: formatDate,
    once: function (v) { return v; },
    sqrt: mathOf(Math.sqrt), exp: mathOf(Math.exp), exp10: mathOf(function (x) { return Math.pow(10, x); }),
    log: mathOf(Math.log), log10: mathOf(Math.log10), sin: mathOf(Math.sin), cos: mathOf(Math.cos),
    tan: mathOf(Math.tan), asin: mathOf(Math.asin), acos: mathOf(Math.acos), atan: mathOf(Math.atan),
    atan2: mathOf(Math.atan2),
    pi: function () { return Math.PI; },
    random: function () { return Math.random(); },
    uuid: function (n) { return n === undefined ? uuid4() : randomText(n); },
    digest: digest,
    translate: function (text, from, to) { return translateChars(text, from, to); },
    join: function (sep) {
      var out = [];
      Array.prototype.slice.call(arguments, 1).forEach(function (a) { items(a).forEach(function (v) { out.push(string(v)); }); });
      return out.join(string(sep));
    },
    count_non_empty: function (v) { return items(v).filter(function (i) { return !blank(i); }).length; },
    boolean_from_string: function (v) { var t = string(v); return t === "true" || t === "1"; },
    substring_before: function (a, b) { var x = string(a), i = x.indexOf(string(b)); return i === -1 ? "" : x.slice(0, i); },
    substring_after: function (a, b) { var x = string(a), y = string(b), i = x.indexOf(y); return i === -1 ? "" : x.slice(i + y.length); },
    checklist: function (low, high) {
      var yes = 0;
      Array.prototype.slice.call(arguments, 2).forEach(function (a) { items(a).forEach(function (v) { if (truth(v) && string(v) !== "false") yes++; }); });
      var lo = number(low), hi = number(high);
      return (lo < 0 || yes >= lo) && (hi < 0 || yes <= hi);
    },
    distance: distance,
    indexed_repeat: function (values, n) { var all = items(values), i = number(n) - 1; return i >= 0 && i < all.length ? all[Math.trunc(i)] : ""; }
  };

  function call(name, trees, env) {
    if (name === "if_") return evaluate(truth(evaluate(trees[0], env)) ? trees[1] : trees[2], env);
    if (name === "position") return number(env.__position__);
    if (name === "today") return todayText(env);
    if (name === "now") return nowText();
    var args = trees.map(function (t) { return evaluate(t, env); });
    return FUNCTIONS[name].apply(null, args);
  }

  // A variable of the record around a repeat entry (marked "outer"): the entry's own
  // scope has none, so it is read from the form outside the repeats (checks.js passes
  // an entry alone; the page is the same form).
  var outerValues = null;
  function lookup(tree, env) {
    var name = tree["var"];
    if (tree.outer && !(name in env)) {
      var outer = env.__outer__ || outerValues || pageValues();
      return outer[name] === undefined ? null : outer[name];
    }
    return env[name] === undefined ? null : env[name];
  }
  function pageValues() {
    var form = typeof document !== "undefined" && document.querySelector ? document.querySelector("form.survey") : null;
    return form ? scopeValues(form) : {};
  }

  function evaluate(tree, env) {
    if ("const" in tree) return tree["const"];
    if ("var" in tree) return lookup(tree, env);
    if ("list" in tree) return tree["list"].map(function (e) { return evaluate(e, env); });
    if ("call" in tree) return call(tree.call, tree.args, env);
    var op = tree.op, args = tree.args;
    if (op === "and") return args.every(function (a) { return truth(evaluate(a, env)); });
    if (op === "or") return args.some(function (a) { return truth(evaluate(a, env)); });
    if (op === "not") return !truth(evaluate(args[0], env));
    if (op === "if") return evaluate(truth(evaluate(args[0], env)) ? args[1] : args[2], env);
    if (op === "neg") return -number(evaluate(args[0], env));
    var left = evaluate(args[0], env), right = evaluate(args[1], env);
    if (op === "+" || op === "-" || op === "*" || op === "/" || op === "%") return arith(op, number(left), number(right));
    if (op === "pluck") return items(left).map(function (i) { return i && typeof i === "object" && i[right] !== undefined ? i[right] : null; });
    if (op === "==") return left === right;
    if (op === "!=") return left !== right;
    if (op === "in" || op === "not in") {
      var found = left !== null && (Array.isArray(right) || typeof right === "string") && right.indexOf(left) !== -1;
      return op === "in" ? found : !found;
    }
    if (left === null || right === null) return false;
    if (op === "<") return left < right;
    if (op === "<=") return left <= right;
    if (op === ">") return left > right;
    if (op === ">=") return left >= right;
    return false;
  }

  // A calculation's result as the server stores it: NaN and "" are blanks, 3 stays 3.
  function stored(v) {
    if (typeof v === "number") return isFinite(v) ? v : null;
    if (v === "" || (Array.isArray(v) && v.length === 0)) return null;
    if (Array.isArray(v)) return string(v);
    return v === undefined ? null : v;
  }

  // The answers of one scope: the whole form (outside rosters) or one roster member.
  function scopeValues(scope) {
    var env = {};
    scope.querySelectorAll(".field[data-key]").forEach(function (field) {
      if (field.closest(".member") !== (scope.classList.contains("member") ? scope : null)) return;
      var key = field.getAttribute("data-key");
      var boxes = field.querySelectorAll("input[type=checkbox]");
      var radios = field.querySelectorAll("input[type=radio]");
      if (boxes.length) {
        env[key] = Array.prototype.filter.call(boxes, function (b) { return b.checked; })
          .map(function (b) { return b.value; });
      } else if (radios.length) {
        var on = Array.prototype.find.call(radios, function (r) { return r.checked; });
        env[key] = on ? on.value : null;
      } else {
        var input = field.querySelector("input, select, textarea");
        env[key] = input && input.value !== "" ? input.value : null;
      }
    });
    return env;
  }

  function own(scope, el) {
    return el.closest(".member") === (scope.classList.contains("member") ? scope : null);
  }

  // The rosters of one scope (the form, or one entry: a repeat inside a repeat is the
  // entry's own), and a roster's own entries; one hidden because the count is 0 is none.
  function rostersOf(scope) {
    var member = scope.classList.contains("member") ? scope : null;
    return Array.prototype.filter.call(scope.querySelectorAll("[data-roster]"), function (roster) {
      return roster.closest(".member") === member;
    });
  }
  function entriesOf(roster) { return Array.prototype.slice.call(roster.querySelectorAll(":scope > .member")); }
  function liveEntries(roster) { return entriesOf(roster).filter(function (m) { return !m.hidden; }); }

  // One scope's answers, each of its rosters as its entries' answers, at every depth (what
  // sum(members.age), count(${kids}) and indexed-repeat read on the server).
  function scopeEnv(scope) {
    var env = scopeValues(scope);
    rostersOf(scope).forEach(function (roster) {
      env[roster.getAttribute("data-roster")] = liveEntries(roster).map(scopeEnv);
    });
    return env;
  }
  function formValues(form) { return scopeEnv(form); }

  // An entry reads its own answers, then those of every level around it, nearest first
  // (``__outer__``, as validate.py gives it), and position() is its place in its repeat.
  function entryEnv(scope, outer, position) {
    var env = scopeEnv(scope);
    if (outer) {
      env.__outer__ = outer;
      env.__position__ = position;
    }
    return env;
  }
  function around(env, outer) {
    if (!outer) return env;
    var out = Object.assign({}, outer);
    Object.keys(env).forEach(function (k) { if (k !== "__outer__" && k !== "__position__") out[k] = env[k]; });
    return out;
  }

  // Calculations of one scope, in form order, into their boxes. A calculate, a hidden
  // value or a read-only question always shows what it works out; any other question's
  // calculated default only while it is blank or still holds what was worked out, so that
  // what the surveyor typed (or a stored answer being edited) stays.
  function calculate(scope, env) {
    scope.querySelectorAll("[data-calculate]").forEach(function (input) {
      if (!own(scope, input)) return;
      var always = input.hasAttribute("data-always");
      if (!always && input.value !== "" && input.dataset.calculated !== input.value) return;
      var text = string(stored(evaluate(JSON.parse(input.getAttribute("data-calculate")), env)));
      if (input.value !== text) input.value = text;
      input.dataset.calculated = text;
      env[input.closest(".field").getAttribute("data-key")] = text === "" ? null : text;
    });
  }

  var FILL = /\$\{\s*([^}]*?)\s*\}/g;
  function fills(scope, env) {
    scope.querySelectorAll("[data-fill]").forEach(function (el) {
      if (!own(scope, el)) return;
      var outer = env.__outer__ || {};
      el.textContent = el.getAttribute("data-fill").replace(FILL, function (whole, name) {
        return string(name in env ? env[name] : outer[name]);
      });
    });
  }

  // Cascading selects (choice_filter): a choice is offered when its filter holds for it;
  // one no longer offered is unticked, as ODK clears it.
  function filterChoices(scope, env) {
    scope.querySelectorAll("[data-choice-filter]").forEach(function (control) {
      if (!own(scope, control)) return;
      var tree = JSON.parse(control.getAttribute("data-choice-filter"));
      var options = control.tagName === "SELECT" ? control.querySelectorAll("option[data-choice]")
        : control.querySelectorAll("input[data-choice]");
      Array.prototype.forEach.call(options, function (option) {
        var ok = truth(evaluate(tree, Object.assign({}, env, JSON.parse(option.getAttribute("data-choice")))));
        option.disabled = !ok;
        var shown = option.tagName === "OPTION" ? option : option.closest("li") || option;
        shown.hidden = !ok;
        if (!ok && option.tagName === "OPTION" && option.selected) control.value = "";
        if (!ok && option.tagName === "INPUT") option.checked = false;
      });
    });
  }

  function blankMember(member) {
    return Array.prototype.every.call(member.querySelectorAll("input, select, textarea"), function (el) {
      if (el.type === "hidden" || el.readOnly) return true;
      if (el.type === "checkbox" || el.type === "radio") return !el.checked;
      return el.value === "" || el.value === el.getAttribute("data-default");
    });
  }

  // repeat_count: as many entries as the count says (a blank count is none, as on the
  // server); entries beyond it go only when nothing was typed into them. One entry stays
  // on the page to be copied: hidden, and not sent, while the count is 0.
  function counts(scope, env) {
    rostersOf(scope).forEach(function (roster) {
      if (!roster.hasAttribute("data-count")) return;
      var value = stored(evaluate(JSON.parse(roster.getAttribute("data-count")), env));
      var n = value === null ? 0 : number(value);
      if (!isFinite(n) || n < 0 || n > 200) return;
      n = Math.trunc(n);
      for (var have = entriesOf(roster).length; have < n; have++) addMember(roster, true);
      var members = entriesOf(roster);
      while (members.length > Math.max(n, 1) && blankMember(members[members.length - 1])) members.pop().remove();
      members = entriesOf(roster);
      members.forEach(function (m) { m.hidden = false; });
      if (n === 0 && members.length === 1 && blankMember(members[0])) members[0].hidden = true;
      renumber(roster);
    });
  }

  // Calculations first, at every depth (an entry's own, the counts of its repeats, its
  // entries', then its own again for the sums over them), then what is shown.
  function calculatePass(scope, outer, position) {
    var env = entryEnv(scope, outer, position);
    calculate(scope, env);
    counts(scope, env);
    var inner = rostersOf(scope);
    var here = around(env, outer);
    inner.forEach(function (roster) {
      liveEntries(roster).forEach(function (member, i) { calculatePass(member, here, i + 1); });
    });
    if (inner.length) calculate(scope, entryEnv(scope, outer, position));
  }

  function showPass(scope, outer, position) {
    var env = entryEnv(scope, outer, position);
    scope.querySelectorAll(".field[data-relevant]").forEach(function (field) {
      if (!own(scope, field)) return;
      var show = truth(evaluate(JSON.parse(field.getAttribute("data-relevant")), env));
      if (!field.hasAttribute("data-silent")) field.hidden = !show;  // hidden, not cleared: switching back keeps what was typed
    });
    fills(scope, env);
    filterChoices(scope, env);
    var here = around(env, outer);
    rostersOf(scope).forEach(function (roster) {
      liveEntries(roster).forEach(function (member, i) { showPass(member, here, i + 1); });
    });
  }

  function applyRelevance(form) {
    calculatePass(form, null, null);
    showPass(form, null, null);
    photos(form);
  }

  // --- photos: the tablet's camera or a file, made small enough to send (longest side at
  // most 2000 px, JPEG) and kept as a data URL in the form, hence in the draft and the outbox.
  var PHOTO_SIDE = 2000;
  var PHOTO_BYTES = 5 * 1024 * 1024;
  var PHOTO_TEXT = {
    zh: { reading: "正在处理照片…", done: "照片 {w}×{h}，约 {kb} KB", failed: "无法读取这张照片", kept: "已有照片（无信号时不显示）" },
    en: { reading: "Preparing the photo…", done: "Photo {w}×{h}, about {kb} KB", failed: "This photo cannot be read", kept: "A photo is kept (not shown without signal)" }
  };
  function photoText(key) {
    var lang = (document.documentElement.lang || "zh").slice(0, 2) === "en" ? "en" : "zh";
    return PHOTO_TEXT[lang][key];
  }
  function photoSource(form, value) {
    if (!value) return "";
    if (value.indexOf("data:image/") === 0) return value;
    var base = form.getAttribute("data-photo-base");
    return base && /^[0-9a-f]{32}\.(jpg|png)$/.test(value) ? base + value : "";
  }
  // Each photo's preview shows what its hidden input holds (after a draft is restored too).
  function photos(form) {
    form.querySelectorAll(".field-image").forEach(function (box) {
      var input = box.querySelector("input[type=hidden]");
      var img = box.querySelector("img.photo-preview");
      var clear = box.querySelector("button.photo-clear");
      if (!input || !img) return;
      var src = photoSource(form, input.value);
      if (!img.dataset.watched) {
        // A stored photo cannot be fetched without signal: say it is kept instead.
        img.dataset.watched = "1";
        img.addEventListener("error", function () {
          img.dataset.broken = img.getAttribute("src") || "";
          img.hidden = true;
          var said = box.querySelector(".photo-status");
          if (said && input.value) said.textContent = photoText("kept");
        });
      }
      if (img.getAttribute("src") !== src) {
        if (src) img.setAttribute("src", src); else img.removeAttribute("src");
      }
      img.hidden = !src || img.dataset.broken === src;
      if (clear) clear.hidden = !input.value && !box.dataset.photoJob;
    });
  }
  function loadImage(file) {
    if (typeof createImageBitmap === "function") return createImageBitmap(file);
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () {
        var img = new Image();
        img.onload = function () { resolve(img); };
        img.onerror = reject;
        img.src = reader.result;
      };
      reader.onerror = reject;
      reader.readAsDataURL(file);
    });
  }
  // Drawn again on a canvas: resized, as JPEG, and without the file's EXIF (where it was taken).
  function shrink(file, side) {
    return loadImage(file).then(function (image) {
      var w = image.width, h = image.height, scale = Math.min(1, side / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(w * scale));
      canvas.height = Math.max(1, Math.round(h * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
      if (image.close) image.close();
      var quality = 0.85, url = canvas.toDataURL("image/jpeg", quality);
      while (url.length * 3 / 4 > PHOTO_BYTES && quality > 0.3) {
        quality -= 0.15;
        url = canvas.toDataURL("image/jpeg", quality);
      }
      return { url: url, width: canvas.width, height: canvas.height };
    });
  }
  function takePhoto(fileInput, form) {
    var box = fileInput.closest(".field");
    var input = box.querySelector("input[type=hidden]");
    var status = box.querySelector(".photo-status");
    var file = fileInput.files && fileInput.files[0];
    if (!file || !input) return;
    var wanted = Number(fileInput.getAttribute("data-max-pixels")) || PHOTO_SIDE;
    if (status) status.textContent = photoText("reading");
    // One photo being made smaller per question: another one chosen, or the photo cleared,
    // ends the wait for the one before (its result, when it comes, is dropped).
    var job = String(++photoJobs);
    endPhotoJob(box, form);
    box.dataset.photoJob = job;
    form.dataset.photoBusy = String(Number(form.dataset.photoBusy || 0) + 1);
    photos(form);  // its clear button shows: a photo that takes too long can be let go
    shrink(file, Math.min(wanted, PHOTO_SIDE)).then(function (made) {
      if (box.dataset.photoJob !== job) return;
      input.value = made.url;
      if (status) {
        status.textContent = photoText("done").replace("{w}", made.width).replace("{h}", made.height)
          .replace("{kb}", String(Math.round(made.url.length * 3 / 4 / 1024)));
      }
    }, function () {
      if (box.dataset.photoJob === job && status) status.textContent = photoText("failed");
    }).then(function () {
      if (box.dataset.photoJob !== job) return;
      fileInput.value = "";  // the same photo may be chosen again; the hidden input holds it
      endPhotoJob(box, form);
      applyRelevance(form);
      input.dispatchEvent(new Event("input", { bubbles: true }));  // the draft keeps it
    });
  }
  var photoJobs = 0;
  function endPhotoJob(box, form) {
    if (!box.dataset.photoJob) return;
    delete box.dataset.photoJob;
    form.dataset.photoBusy = String(Math.max(0, Number(form.dataset.photoBusy || 1) - 1));
  }

  // --- geopoint: the tablet's location, kept as ODK keeps it ("lat lon alt accuracy") ----
  var GEO_TEXT = {
    zh: { button: "获取当前位置", asking: "正在定位…", done: "已定位，精度约 ±{m} 米", none: "此设备不能定位", failed: "无法获取位置：" },
    en: { button: "Use this tablet's location", asking: "Locating…", done: "Located, accurate to about ±{m} m", none: "This device cannot give a location", failed: "No location: " }
  };
  function geoText(key) {
    var lang = (document.documentElement.lang || "zh").slice(0, 2) === "en" ? "en" : "zh";
    return GEO_TEXT[lang][key];
  }
  function locate(button, form) {
    var input = document.getElementById(button.getAttribute("data-locate"));
    var status = button.parentNode.querySelector(".geo-status");
    var say = function (text) { if (status) status.textContent = text; };
    if (!input || !navigator.geolocation) { say(geoText("none")); return; }
    say(geoText("asking"));
    navigator.geolocation.getCurrentPosition(function (position) {
      var c = position.coords;
      var round = function (x, digits) { return String(Math.round(x * Math.pow(10, digits)) / Math.pow(10, digits)); };
      input.value = [round(c.latitude, 7), round(c.longitude, 7), round(c.altitude || 0, 1), round(c.accuracy || 0, 1)].join(" ");
      say(geoText("done").replace("{m}", String(Math.round(c.accuracy || 0))));
      input.dispatchEvent(new Event("input", { bubbles: true }));
      applyRelevance(form);
    }, function (error) {
      say(geoText("failed") + (error && error.message ? error.message : ""));
    }, { enableHighAccuracy: true, timeout: 30000, maximumAge: 0 });
  }

  function renumber(roster) {
    entriesOf(roster).forEach(function (member, i) {
      var num = member.querySelector(":scope > legend .num");
      if (num) num.textContent = String(i + 1);
    });
  }

  var RENAMED = ["name", "id", "for", "aria-describedby", "data-name", "data-locate", "data-photo-for", "data-photo-clear", "data-photo-of", "data-error-for"];

  // A new entry, copied from the last one: its input names get the next free index of this
  // roster (members-3-…, members-0-kids-2-…), its own repeats start with one blank entry.
  function addMember(roster, quiet) {
    var members = entriesOf(roster);
    var last = members[members.length - 1];
    var base = roster.getAttribute("data-name") || roster.getAttribute("data-roster");
    var pattern = new RegExp("^" + base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "-(\\d+)(?=-|$)");
    var max = -1;
    roster.querySelectorAll("[name], .member[data-name]").forEach(function (el) {
      var m = (el.getAttribute("name") || el.getAttribute("data-name") || "").match(pattern);
      if (m) max = Math.max(max, parseInt(m[1], 10));
    });
    var next = max + 1;
    var clone = last.cloneNode(true);
    clone.hidden = false;
    [clone].concat(Array.prototype.slice.call(clone.querySelectorAll("*"))).forEach(function (el) {
      RENAMED.forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(pattern, base + "-" + next));
      });
    });
    // The repeats inside it start over with one entry.
    clone.querySelectorAll("[data-roster]").forEach(function (inner) {
      var kept = entriesOf(inner);
      kept.slice(1).forEach(function (m) { m.remove(); });
      if (kept[0]) kept[0].hidden = false;
      renumber(inner);
    });
    // A new member starts clean: no messages, no reviewer's note of the member it was copied from.
    clone.querySelectorAll(".error, .warning, .review-note").forEach(function (el) { el.remove(); });
    clone.querySelectorAll(".has-error, .has-review-note").forEach(function (el) { el.classList.remove("has-error", "has-review-note"); });
    clone.querySelectorAll(".photo-status").forEach(function (el) { el.textContent = ""; });
    clone.querySelectorAll("[data-photo-job]").forEach(function (el) { delete el.dataset.photoJob; });
    clone.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") { el.checked = false; }
      else if (el.tagName === "SELECT") {
        // A new member starts from the definition's default, as on the server.
        el.value = el.getAttribute("data-default") || "";
      } else { el.value = ""; }
      el.setAttribute("aria-invalid", "false");
    });
    var remove = clone.querySelector(":scope > button.remove");
    if (remove) remove.value = String(members.length);
    last.after(clone);
    renumber(roster);
    if (quiet) return clone;  // restoring a draft: no focus jump
    var first = clone.querySelector("input:not([type=hidden]), select");
    if (first) first.focus();
    return clone;
  }

  // Tell listeners (drafts in survey.js) that the roster changed without an input event.
  function rosterChanged(form) {
    form.dispatchEvent(new CustomEvent("census:roster", { bubbles: true }));
  }

  // The offline scripts (survey.js, checks.js) restore drafts and check answers with these.
  window.CensusForms = {
    evaluate: evaluate,
    stored: stored,
    string: string,
    applyRelevance: applyRelevance,
    addMember: addMember,
    renumber: renumber
  };

  document.querySelectorAll("form.survey").forEach(function (form) {
    form.addEventListener("input", function () { applyRelevance(form); });
    form.addEventListener("change", function () { applyRelevance(form); });
    form.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      if (button.hasAttribute("data-locate")) {
        event.preventDefault();
        locate(button, form);
        return;
      }
      if (button.hasAttribute("data-photo-clear")) {
        event.preventDefault();
        var box = button.closest(".field");
        if (box) endPhotoJob(box, form);  // a photo still being made smaller is not waited for
        var held = box && box.querySelector("input[type=hidden]");
        if (held) held.value = "";
        var said = box && box.querySelector(".photo-status");
        if (said) said.textContent = "";
        applyRelevance(form);
        if (held) held.dispatchEvent(new Event("input", { bubbles: true }));
        return;
      }
      var roster = button.closest("[data-roster]");
      if (button.name === "add_item" && roster) {
        event.preventDefault();
        var shown = liveEntries(roster);
        if (shown.length === 0 && entriesOf(roster).length) entriesOf(roster)[0].hidden = false;
        else addMember(roster);
        applyRelevance(form);
        rosterChanged(form);
      } else if (button.name === "remove_item" && roster) {
        event.preventDefault();
        if (entriesOf(roster).length > 1) {
          button.closest(".member").remove();
          renumber(roster);
          applyRelevance(form);
          rosterChanged(form);
        }
      }
    });
    form.addEventListener("change", function (event) {
      if (event.target.matches && event.target.matches("input[type=file][data-photo-for]")) takePhoto(event.target, form);
    });
    form.querySelectorAll("button[data-locate]").forEach(function (button) {
      button.textContent = geoText("button");
      button.hidden = false;
    });
    applyRelevance(form);
    // After a refused save, bring the first message into view: on a long roster it can be
    // far below the banner.
    var firstError = form.querySelector(".has-error, p.error");
    if (firstError) firstError.scrollIntoView({ block: "center" });
  });
})();

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

  // The form's answers outside the rosters, each roster as its entries' answers (what
  // sum(members.age) and count(members) read on the server).
  function formValues(form) {
    var env = scopeValues(form);
    form.querySelectorAll("[data-roster]").forEach(function (roster) {
      env[roster.getAttribute("data-roster")] = Array.prototype.map.call(roster.querySelectorAll(".member"), scopeValues);
    });
    return env;
  }

  function memberValues(member, outer, i) {
    var env = scopeValues(member);
    env.__outer__ = outer;
    env.__position__ = i + 1;
    return env;
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

  // repeat_count: as many entries as the count says; entries beyond it go only when
  // nothing was typed into them (one stays on the page to be copied).
  function counts(form, env) {
    form.querySelectorAll("[data-roster][data-count]").forEach(function (roster) {
      var n = number(evaluate(JSON.parse(roster.getAttribute("data-count")), env));
      if (!isFinite(n) || n < 0 || n > 200) return;
      n = Math.trunc(n);
      var members = roster.querySelectorAll(".member");
      for (var have = members.length; have < n; have++) addMember(roster, true);
      members = Array.prototype.slice.call(roster.querySelectorAll(".member"));
      while (members.length > Math.max(n, 1) && blankMember(members[members.length - 1])) members.pop().remove();
      renumber(roster);
    });
  }

  function applyRelevance(form) {
    var top = formValues(form);
    calculate(form, top);
    counts(form, top);
    var members = Array.prototype.slice.call(form.querySelectorAll(".member"));
    members.forEach(function (member) {
      var index = Array.prototype.indexOf.call(member.parentNode.querySelectorAll(".member"), member);
      calculate(member, memberValues(member, top, index));
    });
    top = formValues(form);
    calculate(form, top);  // sums and counts over the entries just worked out
    var scopes = [[form, top]].concat(members.map(function (member) {
      var index = Array.prototype.indexOf.call(member.parentNode.querySelectorAll(".member"), member);
      return [member, memberValues(member, top, index)];
    }));
    scopes.forEach(function (pair) {
      var scope = pair[0], env = pair[1];
      scope.querySelectorAll(".field[data-relevant]").forEach(function (field) {
        if (!own(scope, field)) return;
        var show = truth(evaluate(JSON.parse(field.getAttribute("data-relevant")), env));
        if (!field.hasAttribute("data-silent")) field.hidden = !show;  // hidden, not cleared: switching back keeps what was typed
      });
      fills(scope, env);
      filterChoices(scope, env);
    });
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
    roster.querySelectorAll(".member").forEach(function (member, i) {
      var num = member.querySelector("legend .num");
      if (num) num.textContent = String(i + 1);
    });
  }

  function addMember(roster, quiet) {
    var members = roster.querySelectorAll(".member");
    var last = members[members.length - 1];
    var key = roster.getAttribute("data-roster");
    var pattern = new RegExp("^" + key + "-(\\d+)-");
    var max = -1;
    roster.querySelectorAll("[name]").forEach(function (el) {
      var m = el.name.match(pattern);
      if (m) max = Math.max(max, parseInt(m[1], 10));
    });
    var next = max + 1;
    var clone = last.cloneNode(true);
    clone.querySelectorAll("[name], [id], [for], [aria-describedby], [data-error-for]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) el.setAttribute(attr, value.replace(pattern, key + "-" + next + "-"));
      });
    });
    // A new member starts clean: no messages, no reviewer's note of the member it was copied from.
    clone.querySelectorAll(".error, .warning, .review-note").forEach(function (el) { el.remove(); });
    clone.querySelectorAll(".has-error, .has-review-note").forEach(function (el) { el.classList.remove("has-error", "has-review-note"); });
    clone.querySelectorAll("input, select, textarea").forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") { el.checked = false; }
      else if (el.tagName === "SELECT") {
        // A new member starts from the definition's default, as on the server.
        el.value = el.getAttribute("data-default") || "";
      } else { el.value = ""; }
      el.setAttribute("aria-invalid", "false");
    });
    clone.querySelector("button.remove").value = String(members.length);
    last.after(clone);
    renumber(roster);
    if (quiet) return clone;  // restoring a draft: no focus jump
    var first = clone.querySelector("input, select");
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
      var roster = button.closest("[data-roster]");
      if (button.name === "add_item" && roster) {
        event.preventDefault();
        addMember(roster);
        applyRelevance(form);
        rosterChanged(form);
      } else if (button.name === "remove_item" && roster) {
        event.preventDefault();
        var members = roster.querySelectorAll(".member");
        if (members.length > 1) {
          button.closest(".member").remove();
          renumber(roster);
          rosterChanged(form);
        }
      }
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

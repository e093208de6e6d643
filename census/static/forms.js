// Survey forms in the browser: skip logic from the same expression trees the server uses
// (census/domain/expr.py), and adding or removing roster members without a round trip.
// Without JavaScript the form still works: the server re-renders with the same answers.
(function () {
  "use strict";

  function evaluate(tree, env) {
    if ("const" in tree) return tree["const"];
    if ("var" in tree) return env[tree["var"]] === undefined ? null : env[tree["var"]];
    if ("list" in tree) return tree["list"].map(function (e) { return evaluate(e, env); });
    var op = tree.op, args = tree.args;
    if (op === "and") return args.every(function (a) { return evaluate(a, env); });
    if (op === "or") return args.some(function (a) { return evaluate(a, env); });
    if (op === "not") return !evaluate(args[0], env);
    var left = evaluate(args[0], env), right = evaluate(args[1], env);
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

  function applyRelevance(form) {
    var scopes = [form].concat(Array.prototype.slice.call(form.querySelectorAll(".member")));
    scopes.forEach(function (scope) {
      var env = scopeValues(scope);
      scope.querySelectorAll(".field[data-relevant]").forEach(function (field) {
        if (field.closest(".member") !== (scope.classList.contains("member") ? scope : null)) return;
        var show = evaluate(JSON.parse(field.getAttribute("data-relevant")), env);
        field.hidden = !show;  // hidden, not cleared: switching back keeps what was typed
      });
    });
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
    clone.querySelectorAll(".error, .warning").forEach(function (el) { el.remove(); });
    clone.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
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
    applyRelevance(form);
    // After a refused save, bring the first message into view: on a long roster it can be
    // far below the banner.
    var firstError = form.querySelector(".has-error, p.error");
    if (firstError) firstError.scrollIntoView({ block: "center" });
  });
})();

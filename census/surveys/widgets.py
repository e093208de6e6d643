"""WTForms' widgets for the survey forms: the same HTML, drawn for less.

A household's form page draws some 40 selects (about 400 options), 60 text inputs and the
checkbox lists of every member: in WTForms each attribute of each of them goes through
``Markup.format``, and each option is drawn again on every page although the survey's
options never change. Here the attributes are joined as plain text (escaped as WTForms
escapes them) and each option's HTML, selected or not, is kept once drawn. The HTML is
WTForms' own, character for character (tests/surveys/test_form_widgets.py compares them).
"""

from __future__ import annotations

import threading
from typing import Any

from markupsafe import Markup, escape
from wtforms.widgets import core

# The options drawn so far, by (value, label, selected, their attributes): a survey's
# options are a few hundred; a cap keeps a server of many uploaded surveys bounded.
_OPTIONS: dict[tuple[Any, ...], Markup] = {}
MAX_OPTIONS = 20_000
_LOCK = threading.Lock()


def html_params(**kwargs: Any) -> Markup:
    """``wtforms.widgets.html_params``: the same attributes, text and order."""
    params = []
    for key, value in sorted(kwargs.items()):
        name = escape(core.clean_key(key))
        if value is True:
            params.append(str(name))
        elif value is not False:
            params.append(f'{name}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))


class TextInput(core.TextInput):
    html_params = staticmethod(html_params)


class CheckboxInput(core.CheckboxInput):
    html_params = staticmethod(html_params)


class RadioInput(core.RadioInput):
    html_params = staticmethod(html_params)


class TextArea(core.TextArea):
    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        params = html_params(name=field.name, **kwargs)
        return Markup(f"<textarea {params}>\r\n{escape(field._value())}</textarea>")


class ListWidget(core.ListWidget):
    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        html = [f"<{self.html_tag} {html_params(**kwargs)}>"]
        for subfield in field:
            if self.prefix_label:
                html.append(f"<li>{subfield.label} {subfield()}</li>")
            else:
                html.append(f"<li>{subfield()} {subfield.label}</li>")
        html.append(f"</{self.html_tag}>")
        return Markup("".join(html))


class Select(core.Select):
    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        if self.multiple:
            kwargs["multiple"] = True
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        html = [f"<select {html_params(name=field.name, **kwargs)}>"]
        render = self.render_option
        if field.has_groups():
            for optgroup, choices in field._iter_groups_normalized():
                if optgroup is not None:
                    html.append(f"<optgroup {html_params(label=optgroup)}>")
                html.extend(render(choice) for choice in choices)
                if optgroup is not None:
                    html.append("</optgroup>")
        else:
            html.extend(render(choice) for choice in field._iter_choices_normalized())
        html.append("</select>")
        return Markup("".join(html))

    @classmethod
    def render_option(cls, choice: Any, **kwargs: Any) -> Markup:
        extra = choice.render_kw or {}
        plain = type(choice.value) is str and type(choice.label) is str
        if kwargs or not plain or any(type(v) is not str for v in extra.values()):
            return super().render_option(choice, **kwargs)
        key = (choice.value, choice.label, bool(choice.selected), *sorted(extra.items()))
        html = _OPTIONS.get(key)
        if html is None:
            html = super().render_option(choice)
            with _LOCK:
                if len(_OPTIONS) < MAX_OPTIONS:
                    _OPTIONS[key] = html
        return html

"""The URL fetcher of print rendering serves only census/static and refuses everything else."""

from __future__ import annotations

import http.server
import threading

import pytest

from census.printing import ResourceRefused, StaticOnlyFetcher, html_to_pdf
from census.printing.fetcher import STATIC_DIR, static_base_url
from census.printing.render import environment


def test_static_print_css_is_served():
    response = StaticOnlyFetcher().fetch(static_base_url() + "print.css")
    assert b"@page" in response.read()
    assert response.content_type == "text/css"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/font.woff2",
        "file:///etc/passwd",
        "data:text/css,body{color:red}",
        "ftp://example.com/x",
        "file://otherhost" + str(STATIC_DIR / "print.css"),
        static_base_url() + "../printing/render.py",
        static_base_url() + "%2e%2e/printing/render.py",
        static_base_url() + "no-such-file.css",
        static_base_url(),
    ],
)
def test_everything_outside_static_is_refused(url):
    with pytest.raises(ResourceRefused, match="only from the census static folder"):
        StaticOnlyFetcher().fetch(url)


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), _CountingHandler)
    _CountingHandler.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "tag", ['<img src="{url}/x.png">', '<link rel="stylesheet" href="{url}/x.css">']
)
def test_a_document_reaching_outside_fails_and_makes_no_request(local_server, tag):
    html = f"<!DOCTYPE html><html><body><p>测试</p>{tag.format(url=local_server)}</body></html>"
    with pytest.raises(ResourceRefused, match="127.0.0.1"):
        html_to_pdf(html)
    assert _CountingHandler.hits == []


def test_a_document_using_static_css_renders():
    pdf = html_to_pdf('<link rel="stylesheet" href="print.css"><h1>住户花名册</h1>')
    assert pdf.startswith(b"%PDF-")


def test_print_templates_are_autoescaped():
    template = environment().from_string("<p>{{ name }}</p>")
    assert template.render(name="<img src=x>") == "<p>&lt;img src=x&gt;</p>"


def test_an_inline_svg_renders_and_what_it_links_to_is_still_refused(tmp_path, caplog):
    import base64

    from census.printing.gridstyle import rules_image

    rules = rules_image([2.5, 5.0], 10, 8)
    assert rules.startswith("data:image/svg+xml;base64,")
    pdf = html_to_pdf(f'<div style="width: 10em; height: 3em; background: url({rules})">表</div>')
    assert pdf.startswith(b"%PDF-")

    from PIL import Image

    secret = tmp_path / "secret.png"  # a real picture, outside the static folder
    Image.new("RGB", (4, 4), "red").save(secret)
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="10" height="10"><image xlink:href="{secret.as_uri()}" width="10" height="10"/>'
        "</svg>"
    )
    url = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    with caplog.at_level("ERROR", logger="weasyprint"):
        pdf = html_to_pdf(f'<p>表</p><img src="{url}">')
    # the SVG's link came back through the fetcher, was refused, and nothing was drawn
    assert "Failed to render SVG image" in caplog.text
    assert b"/Subtype /Image" not in pdf and b"/Subtype/Image" not in pdf


@pytest.mark.parametrize(
    "url", ["data:text/css;base64,aDF7Y29sb3I6cmVkfQ==", "data:image/png;base64,iVBORw0KGgo="]
)
def test_other_inline_data_is_refused(url):
    with pytest.raises(ResourceRefused):
        html_to_pdf(f'<link rel="stylesheet" href="{url}"><img src="{url}"><p>表</p>')

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

"""Markdown rendering and the sanitiser: the features trainers need, and nothing dangerous."""
from __future__ import annotations

import pytest

from portal.content.rendering import render_markdown, sanitize

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<div hx-get=\"/admin/users\" hx-trigger=\"load\">x</div>",
    "<form action=\"/logout\" method=\"post\"><button>x</button></form>",
    "<input type=\"text\" autofocus onfocus=alert(1)>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<details open ontoggle=alert(1)>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<link rel=stylesheet href=\"http://evil.example/x.css\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"http://evil.example/\">",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\"java\tscript:alert(1)\">x</a>",
    "<p class=\"admonition\" id=\"alerts\" onclick=\"alert(1)\">x</p>",
    "<style>body{display:none}</style>",
    "<!-- <script>alert(1)</script> -->",
    "```\n<script>alert(1)</script>\n```",
    "<template><script>alert(1)</script></template>",
]

FORBIDDEN = ["<script", "onerror", "onload", "onclick", "onfocus", "ontoggle", "javascript:",
             "data:", "style=", "hx-", "<iframe", "<form", "<object", "<embed", "<link", "<meta",
             "<base", "<style", "<svg", "<math", "<template"]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_are_neutralised(payload: str) -> None:
    html = render_markdown(payload).html.lower()
    for bad in FORBIDDEN:
        assert bad not in html, (payload, html)


def test_code_blocks_keep_their_text_escaped() -> None:
    html = render_markdown("```\n<script>alert(1)</script>\n```").html
    assert "&lt;script&gt;" in html


def test_tables_toc_callouts_and_checklists() -> None:
    text = """## 第一节

| 指标 | 标准 |
| --- | --- |
| 响应时间 | 20-30 秒 |

!!! tip "小贴士"
    先核对地址。

!!! warning "注意"
    不要承诺做不到的事。

- [ ] 加入客服群
- [x] 阅读手册

### 小节
"""
    rendered = render_markdown(text)
    html = rendered.html
    assert "<table>" in html and "<th>指标</th>" in html
    assert '<div class="admonition tip">' in html and '<div class="admonition warning">' in html
    assert '<p class="admonition-title">小贴士</p>' in html
    assert "<input" not in html
    assert '<span class="task-box" aria-hidden="true">☐</span>' in html
    assert '☑</span><span class="visually-hidden">（已完成）</span>' in html
    assert 'id="第一节"' in html
    assert 'href="#第一节"' in rendered.toc_html and "小节" in rendered.toc_html


def test_module_links_are_rewritten_to_portal_urls() -> None:
    html = render_markdown("[流程](order-workflow.md#步骤)",
                           resolve_module=lambda key: f"/tracks/t/modules/{key}").html
    assert 'href="/tracks/t/modules/order-workflow#步骤"' in html


def test_unknown_classes_are_dropped() -> None:
    assert sanitize('<div class="admonition evil tip">x</div>') == '<div class="admonition tip">x</div>'
    assert sanitize('<span class="evil">x</span>') == "<span>x</span>"

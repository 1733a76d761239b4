"""Markdown rendering and the sanitiser: the features trainers need, and nothing dangerous."""
from __future__ import annotations

import pytest

from portal.content.rendering import render_markdown, sanitize
from tests.content.content_fixtures import XSS_PAYLOADS

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

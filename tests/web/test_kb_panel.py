"""The console's knowledge-base panel says when a hit only shares words, and when none answers."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hotline.kb.seed import seed_kb
from hotline.services import Services
from tests.web.conftest import Session

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded_kb(web_services: Services) -> None:
    with web_services.unit() as (session, _):
        seed_kb(session, web_services.clock())


def search(page, query: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#kb-query", query)
    page.press("#kb-query", "Enter")


def test_weak_matches_are_marked_and_no_answer_is_said(people: Session, seeded_kb: None) -> None:
    page = people.signed_in("op")
    search(page, "居住证怎么办")
    first = page.locator("#kb-results .kb-entry").first
    expect(first).to_contain_text("居住证办理")
    expect(first).not_to_have_class("kb-entry weak")
    expect(page.locator("#kb-no-answer")).to_have_count(0)

    search(page, "社保关系转移到外地怎么办")
    expect(page.locator("#kb-no-answer")).to_have_text("知识库中没有找到答案")
    entries = page.locator("#kb-results .kb-entry")
    expect(entries.first).to_be_visible()
    expect(page.locator("#kb-results .kb-entry:not(.weak)")).to_have_count(0)
    expect(entries.first.locator(".badge")).to_have_text("仅部分相关，请核实")

    search(page, "量子计算机")
    expect(page.locator("#kb-no-answer")).to_have_text("知识库中没有找到答案")
    expect(entries).to_have_count(0)

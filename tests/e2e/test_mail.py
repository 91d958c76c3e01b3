"""The mails of an access request, end to end: the browser, the dev provider, the outbox
delivered to maildev (tools/maildev), read through maildev's REST API."""

import re

from tests.e2e.conftest import sign_in

ANNA = "anna.admin@korenschoof.example"
GIJS = "gijs.geen@korenschoof.example"


def link_in(mail: dict, base_url: str) -> str:
    (url,) = re.findall(re.escape(base_url) + r"/\S*", mail["text"])
    return url


def test_a_request_reaches_anna_and_her_refusal_reaches_gijs(stack, new_context):
    gijs = new_context().new_page()
    sign_in(gijs, stack, "gijs.geen", next_path="/support")
    gijs.fill("#request-reason", "Ik wil storingen van de kassa melden.")
    gijs.get_by_role("button", name="Aanvragen").click()
    gijs.get_by_text("Je aanvraag voor de rol Incidenten insturen is verstuurd").wait_for()

    stack.deliver_mail()
    request_mail = stack.maildev.wait_for(ANNA, "Gijs de Boer vraagt de rol Incidenten insturen aan")
    assert "Ik wil storingen van de kassa melden." in request_mail["text"]
    assert "<blockquote>Ik wil storingen van de kassa melden.</blockquote>" in request_mail["html"]
    url = link_in(request_mail, stack.base_url)
    assert re.fullmatch(re.escape(stack.url("/contacts#request-")) + r"\d+", url)

    anna = new_context().new_page()
    sign_in(anna, stack, "anna.admin", next_path="/")
    anna.goto(url)  # the link from the mail
    request = anna.locator(f"#{url.rsplit('#', 1)[1]}")
    request.get_by_label("Toelichting voor de aanvrager (optioneel)").fill("Het maximum is bereikt.")
    request.get_by_role("button", name="Afwijzen").click()
    anna.locator(f"#{url.rsplit('#', 1)[1]}").get_by_text("Afgewezen.").wait_for()

    stack.deliver_mail()
    refusal = stack.maildev.wait_for(GIJS, "Je aanvraag voor Incidenten insturen is afgewezen")
    assert "afgewezen door Anna de Vries" in refusal["text"]
    assert "Het maximum van je organisatie is bereikt: 3 van 3" in refusal["text"]
    assert "Het maximum is bereikt." in refusal["text"]
    gijs.goto(link_in(refusal, stack.base_url))
    gijs.get_by_test_id("access-request").get_by_text("afgewezen").wait_for()

"""The API's docs page fits a phone: it has a viewport, its own small stylesheet and a
way back to the site, and no link nested in an operation's button."""

import json
import re

import pytest

pytestmark = pytest.mark.django_db


def test_the_docs_page_fits_a_phone_and_leads_back(client):
    response = client.get("/api/v1/docs")
    page = response.text
    assert response.status_code == 200
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "css/api-docs.css" in page
    assert '<a href="/">← Goaltrack</a>' in page
    settings = re.search(r'id="swagger-settings">(.*?)</script>', page, re.S).group(1)
    assert json.loads(settings)["deepLinking"] is False


def test_someone_logged_in_is_led_to_their_tokens(signed_in):
    assert 'href="/accounts/api-tokens/"' in signed_in.get("/api/v1/docs").text

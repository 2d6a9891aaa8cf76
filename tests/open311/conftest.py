"""The real app under uvicorn (the web suite's server fixtures, without a browser)."""

from tests.web.conftest import api_token, base_url, call_api, web_app, web_services

__all__ = ["api_token", "base_url", "call_api", "web_app", "web_services"]

"""Text normalisation and model loading errors (no model load needed except the one fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from telephony.speech import MODEL_ENV, ModelError, load_model, normalize_text, resolve_model_path


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("我 家 门口 的 路灯 坏 了", "我家门口的路灯坏了"),
        ("路灯 坏 了 wifi 密码 12345", "路灯坏了wifi密码12345"),
        ("call  me at 8 pm", "call me at 8 pm"),
        ("안녕하세요 저는 서울에 살고", "안녕하세요 저는 서울에 살고"),  # Korean keeps its spaces
        ("  ", ""),
        ("你好 ， 谢谢", "你好，谢谢"),
    ],
)
def test_normalize_text(raw: str, normalized: str) -> None:
    assert normalize_text(raw) == normalized


def test_no_model_configured_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MODEL_ENV, raising=False)
    with pytest.raises(ModelError, match=MODEL_ENV):
        load_model()


def test_missing_model_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MODEL_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(ModelError, match=f"nowhere does not exist.*{MODEL_ENV}"):
        load_model()


def test_a_directory_that_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=f"not a Vosk model.*{MODEL_ENV}"):
        load_model(tmp_path)


def test_a_corrupt_model_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "final.mdl").write_bytes(b"not a model")
    with pytest.raises(ModelError, match=f"could not load.*{MODEL_ENV}"):
        load_model(tmp_path)


def test_the_variable_is_used_when_no_path_is_given(
    ko_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MODEL_ENV, str(ko_model_dir))
    assert resolve_model_path() == ko_model_dir

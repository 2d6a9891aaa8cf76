"""Retraining from corrections: promote a better model, refuse a worse one."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.model import RoutingModel
from classifier.retraining import retrain, split_corrections

from .conftest import scrambled_corpus

# A matter the corpus never mentions, which dispatchers keep correcting to CG.
NEW_MATTER = [
    f"{place}的共享单车{problem}"
    for place in ("人民路", "胜利路", "平原路", "金穗大道", "和平路", "健康路", "自由路", "向阳路")
    for problem in ("堆成了山没人收", "横七竖八挡住盲道", "坏了一大片扔在路边")
]


def test_split_holds_back_part_of_every_department() -> None:
    corrections = [(f"文本{i}", "CG") for i in range(10)] + [(f"文本{i}", "GA") for i in range(4)]
    learn, held = split_corrections(corrections)
    assert {label for _, label in held} == {"CG", "GA"}
    assert len(learn) + len(held) == 14
    assert not {t for t, _ in learn} & {t for t, _ in held}


def test_retrain_promotes_a_model_that_learnt_the_corrections(
    tmp_path: Path, small_model_dir: Path, small_train_csv: Path
) -> None:
    old = RoutingModel.load(small_model_dir)
    corrections = [(text, "CG") for text in NEW_MATTER]
    result = retrain(
        corrections,
        base_model=small_model_dir,
        out_dir=tmp_path / "new",
        seed_corpus=small_train_csv,
    )
    assert result.n_corrections == len(corrections)
    assert result.new_score > result.old_score
    assert result.promoted
    new = RoutingModel.load(result.out_dir)
    assert new.predict("卫滨区向阳路的共享单车堆成了山没人收").top3[0][0] == "CG"
    assert old.departments == new.departments


def test_retrain_refuses_a_worse_model(
    tmp_path: Path, small_model_dir: Path, small_train_csv: Path
) -> None:
    scrambled = scrambled_corpus(small_train_csv, tmp_path / "scrambled.csv")
    corrections = [
        ("我想问一下异地就医备案怎么办理", "YB"), ("医保卡丢了怎么补", "YB"),
        ("低保怎么申请", "MZ"), ("结婚登记需要什么材料", "MZ"),
        ("路口的红绿灯坏了一直闪黄灯", "JJ"), ("驾驶证到期了怎么换证", "JJ"),
        ("家里宽带老是断网", "TX"), ("手机信号很差", "TX"),
        ("家里暖气不热", "RL"), ("今年什么时候开始供暖", "RL"),
    ]  # fmt: skip
    result = retrain(
        corrections, base_model=small_model_dir, out_dir=tmp_path / "worse", seed_corpus=scrambled
    )
    assert result.new_score < result.old_score
    assert not result.promoted


@pytest.mark.parametrize(
    ("corrections", "message"),
    [
        ([], "no corrections"),
        ([("", "GA")], "non-blank"),
        ([("户口迁移", "NOPE")], "does not know"),
    ],
)
def test_bad_corrections_are_refused(
    tmp_path: Path, small_model_dir: Path, corrections: list[tuple[str, str]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        retrain(corrections, base_model=small_model_dir, out_dir=tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_retrain_never_overwrites_the_base_model(small_model_dir: Path) -> None:
    with pytest.raises(ValueError, match="must differ"):
        retrain([("户口迁移", "GA")], base_model=small_model_dir, out_dir=small_model_dir)


def test_the_package_exports_the_function_even_after_its_module_was_imported() -> None:
    import classifier.retraining  # noqa: F401
    from classifier import retrain as exported

    assert exported is retrain

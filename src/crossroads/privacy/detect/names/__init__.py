"""Names, places and organisations: the shipped tagger (``tagger``, the default) or an installed spaCy pipeline
(``spacy_ner``, with ``spacy_fast`` running its network in a few numpy calls)."""

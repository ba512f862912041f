"""Transform: what the guard does with the findings — ``policy`` picks an action per entity type, ``operators``
apply it (pseudonyms kept in the ``vault``), ``restore`` and ``stream`` turn placeholders back into values in the
answer, ``body`` handles the placeholders a client's request already holds."""

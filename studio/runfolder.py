"""Run folders and the choices a training run makes before it starts, shared by the
``train`` and ``dagger`` commands and the studio's Train panel (so that a run started from the
window is the same as one started from the command line). Qt-free.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

FROM_SCENE, FROM_ALL, FROM_FLAG = "scene default", "all", "--obs-keys"
"""Where a run's observation parts came from (``obs_keys_from`` in config.json and lineage)."""


def prepare_run_dir(run_dir: Path) -> list[Path]:
    """Create ``run_dir`` and check it is writable, before any data is read.

    Returns:
        The folders this call created, deepest first (removed again if the run stops early).

    Raises:
        ValueError: it exists and is not an empty folder, or cannot be created or written.
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"{run_dir} exists and is not a folder; pick another --name or --runs-dir")
    if run_dir.is_dir():
        raise ValueError(f"{run_dir} already exists; pick another --name")
    created = [p for p in (run_dir, *run_dir.parents) if not p.exists()]
    try:
        run_dir.parent.mkdir(parents=True, exist_ok=True)
        # Not exist_ok: of two runs started at once with one name, only one gets the folder.
        run_dir.mkdir()
        with tempfile.TemporaryFile(dir=run_dir):
            pass  # the checkpoint, config and metrics go here: fail now, not after loading
    except FileExistsError:
        remove_empty(created)
        raise ValueError(f"{run_dir} already exists; pick another --name") from None
    except OSError as exc:
        remove_empty(created)
        why = exc.strerror or str(exc)
        raise ValueError(f"cannot create or write the run folder {run_dir}: {why}") from None
    return created


def remove_empty(folders: list[Path]) -> None:
    """Remove the folders ``prepare_run_dir`` created, deepest first, while they are empty."""
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (or gone): leave it and everything above it


def choose_obs_keys(flag: str | None, dataset: Any) -> tuple[list[str] | None, str, str]:
    """The parts to train on (None = every part), where they come from, and why, in words."""
    from studio.envs import default_obs_parts

    if flag is not None and flag.strip().lower() == "all":
        return None, FROM_ALL, "every part: --obs-keys all"
    if flag:
        return [k.strip() for k in flag.split(",") if k.strip()], FROM_FLAG, "from --obs-keys"
    env_name = str(dataset.env_args.get("env_name", "") or "")
    default = default_obs_parts(env_name) if env_name else None
    if default is None:
        scene = env_name or "the file's scene (env_args names none)"
        return None, FROM_ALL, f"every part: {scene} declares no default parts"
    lacking = [k for k in default if k not in dataset.obs_keys]
    if lacking:
        return None, FROM_ALL, f"every part: the file lacks {env_name}'s default part(s) {lacking}"
    why = f"the scene default of {env_name}; --obs-keys all uses every part"
    return list(default), FROM_SCENE, why


def env_factory(env_id: str) -> Any:
    """``make_env(seed) -> env`` for algorithms that learn in an env (gail)."""
    from studio.envs import make_env

    make_env(env_id).close()  # an unknown id fails here, before training starts

    def factory(seed: int) -> Any:
        return make_env(env_id)

    return factory

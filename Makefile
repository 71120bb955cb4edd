# Imitation Studio: `make run` sets up and opens the studio; `make test` sets up and runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# torch: the CPU build unless the machine has an NVIDIA GPU. PyPI's Linux wheel of torch is the
# multi-GB CUDA build, so without a GPU we ask PyTorch's CPU index, unless pip already has a
# local CPU wheel (a wheel cache or mirror in its find-links, as on our CI machines).
# GPU users who want a given CUDA build:
#   make setup TORCH_SPEC=torch TORCH_INDEX="--index-url https://download.pytorch.org/whl/cu128"
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?= $(shell \
	for d in $$($(PYTHON) -m pip config get global.find-links 2>/dev/null); do \
		ls $$d/torch-*+cpu-*.whl >/dev/null 2>&1 && exit 0; done; \
	command -v nvidia-smi >/dev/null 2>&1 || \
	echo --index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple)
# Mesa packages for headless MuJoCo rendering (EGL, OSMesa) and what Qt's xcb plugin needs.
APT_PACKAGES := libegl1 libgl1 libgl1-mesa-dri libegl-mesa0 libosmesa6 libglib2.0-0 libdbus-1-3 \
	libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 \
	libxcb-image0 libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xfixes0 \
	libxcb-xkb1 xvfb xauth
STAMP := $(VENV)/.installed
export MUJOCO_GL ?= egl
export PYOPENGL_PLATFORM ?= $(MUJOCO_GL)

.PHONY: help setup sysdeps run test test-slow lint format bench bench-reference screenshots clean

help:
	@echo "make run          set up (venv, packages) and open the studio on the arm-push scene"
	@echo "make test         set up and run lint, layer contracts and the test suite (headless)"
	@echo "make test-slow    also run the learning-quality tests marked slow"
	@echo "make bench        run the benchmarks; results go to benchmarks/results/"
	@echo "make bench-reference  install imitation 1.0.1 (the 'bench' extra) --no-deps beside ours"
	@echo "make screenshots  save PNGs of the main window (under xvfb-run) to screenshots/"

sysdeps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	elif command -v dpkg >/dev/null && ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
		echo "Some system packages may be missing. Install them with:"; \
		echo "  sudo apt-get install -y $(APT_PACKAGES)"; \
	fi

$(STAMP): pyproject.toml
	$(MAKE) sysdeps
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "$(TORCH_SPEC)" $(TORCH_INDEX)
	$(PIP) install -q -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/imitation-studio

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -q

test-slow: $(STAMP)
	$(VENV)/bin/pytest -q -m "slow or not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) -m benchmarks

# HumanCompatibleAI imitation 1.0.1 for bench_gail's reference section. --no-deps: it pins an
# older gymnasium and stable-baselines3 that would replace ours (see the bench extra).
bench-reference: $(STAMP)
	$(PIP) install -q --no-deps "imitation==1.0.1" "stable-baselines3>=2.2.1,<3" tensorboard absl-py protobuf
	$(PY) -c "from imitation.algorithms.adversarial.gail import GAIL; print('imitation imports')"

screenshots: $(STAMP)
	xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) -m studio.screenshots screenshots

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

"""The DAgger panel: rounds of train → let the policy drive → label → aggregate → retrain.

The rounds run in a separate process, ``imitation-studio dagger`` (Learning II's DAgger code,
``algorithms.dagger.run_dagger``, through its command line: not a copy), on the open recordings
file: the scripted expert labels each rollout, the rollouts are appended to the file as demos
(``source=policy`` with ``labels``), and each round's summary goes into the run folder's
``summary.json``. The panel follows the process's output and draws the DAgger curve: evaluation
success against labelled steps, one point per round. Beside it, with the scripted expert, BC
trained on the same demos plus as many *expert* steps as DAgger has labels so far
(``--bc-baseline``, :mod:`algorithms.dagger_baseline`): the lecture's comparison, for the same
number of labels. A dashed line marks round 0 (BC on the file's demos as they were). The Demos
panel refreshes after each round.

With "labels already in the file" a person labels, round by round: each Start is one round
(train on the labels in the file, evaluate, let the policy drive the rollouts, appended
unlabelled), then the person relabels those rollouts in relabel mode (``relabel.py``) and
presses Start again; the chart keeps the points of every Start.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QProcess, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from studio.app.dagger_chart import DaggerChart

_ROUND = re.compile(r"^round (\d+):")


def _spin(lo: int, hi: int, value: int, tip: str) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setValue(value)
    s.setToolTip(tip)
    return s


def _fraction_spin(value: float, tip: str) -> QDoubleSpinBox:
    """A number in [0, 1], in quarter steps."""
    s = QDoubleSpinBox()
    s.setRange(0.0, 1.0)
    s.setSingleStep(0.25)
    s.setValue(value)
    s.setToolTip(tip)
    return s


def _off_spin(hi: float, step: float, tip: str) -> QDoubleSpinBox:
    """A non-negative amount whose 0 reads "off"."""
    s = QDoubleSpinBox()
    s.setRange(0.0, hi)
    s.setSingleStep(step)
    s.setDecimals(2)
    s.setSpecialValueText("off")
    s.setToolTip(tip)
    return s


class DaggerPanel(QWidget):
    """Settings, Start/Stop, the per-round chart and the process's log.

    Signals:
        round_finished(summary): a round's summary (``round``, ``labelled_steps``,
            ``eval_success``, ...), after its rollouts were appended to the file.
        finished(status, message): the rounds ended ("done", "stopped", "failed").
    """

    round_finished = Signal(dict)
    finished = Signal(str, str)

    def __init__(
        self,
        recordings_path: Callable[[], Path | None],
        scene_id: Callable[[], str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._path, self._scene = recordings_path, scene_id
        self.rounds: list[dict[str, Any]] = []
        self.run_dir: Path | None = None
        self._process: QProcess | None = None
        self._buffer = ""
        self._stopping = False
        self._first = 0
        self._gate_was_off = True

        self.expert = QComboBox()
        self.expert.addItem("scripted expert", "scripted")
        self.expert.addItem("labels already in the file (relabel mode)", "file")
        self.rounds_spin = _spin(1, 50, 3, "rounds of roll out → label → aggregate → retrain")
        self.episodes_spin = _spin(1, 100, 5, "policy rollouts the policy drives per round")
        self.steps_spin = _spin(10, 1_000_000, 2000, "BC training steps per round")
        self.eval_spin = _spin(1, 1000, 20, "evaluation episodes after each training")
        self.beta_spin = _fraction_spin(
            1.0,
            "Round 1's rollouts execute the expert's action at each step with this probability, "
            "multiplied by the decay each round (1, 0.5, 0.25: the DAgger paper's schedule); "
            "0: the policy drives every step. Every visited state is labelled either way.",
        )
        self.decay_spin = _fraction_spin(
            0.5,
            "β of round i = β × this^(i−1). 0.5 halves it each round; 0 lets the expert "
            "drive round 1 only (with the take-over gate: round 1 gathers the expert's own "
            "corrections, later rounds the policy's).",
        )
        self.gate_spin = _off_spin(
            2.0,
            0.05,
            "Intervention-gated rollouts (HG-DAgger): the policy drives, and the expert takes "
            "over when the policy's action is further than this from its own (L2, action "
            "units), handing back once they agree again. Labels then sit where the policy "
            "goes wrong. Setting it puts β to 0, so that the policy drives until then.",
        )
        self.gate_spin.valueChanged.connect(self._on_gate)
        self.noise_spin = _off_spin(
            1.0,
            0.1,
            "DART: where the expert drives a rollout step, Gaussian noise of this std is added "
            "to what it executes, and the step's label stays the expert's clean action. The "
            "policy then learns corrections from states just off the expert's path, and cannot "
            "lean on copying the previous motion (which the arm's joint velocities carry).",
        )
        self.parts = QComboBox()
        self.parts.addItem("scene default", "")
        self.parts.addItem("every part (BC keys on what the expert ignores)", "all")
        self.parts.setToolTip(
            "What the policy reads. With every part (joint angles and velocities, absolute "
            "positions) BC from expert demos keys on features the expert ignores, and the "
            "velocities let it copy its last motion: the causal-confusion lesson, which DAgger's "
            "labels on the policy's own states are meant to fix."
        )
        self.bc_sets = QLineEdit()
        self.bc_sets.setPlaceholderText("e.g. activation=gelu hidden_sizes=512,512")
        self.bc_sets.setToolTip(
            "More BC settings for every round's training, as KEY=VALUE pairs separated by "
            "spaces (the Train form's names; `imitation-studio train --algo bc "
            "--list-settings` lists them). On the arm with every observation part a GELU network "
            "(activation=gelu) learnt the expert's field better than the default ReLU one."
        )
        self.baseline = QCheckBox("BC beside it for the same number of expert labels")
        self.baseline.setToolTip(
            "Each round also trains BC on the demos plus scripted-expert episodes with as many "
            "steps as DAgger's labels (one more training per round; scripted expert only)"
        )
        self.baseline.setChecked(True)
        self.expert.currentIndexChanged.connect(self._on_labeller)
        form = QFormLayout()
        form.addRow("Labels by", self.expert)
        form.addRow("Rounds", self.rounds_spin)
        form.addRow("Episodes per round", self.episodes_spin)
        form.addRow("BC steps", self.steps_spin)
        form.addRow("Evaluation episodes", self.eval_spin)
        beta_row = QHBoxLayout()
        beta_row.addWidget(self.beta_spin, 1)
        beta_row.addWidget(QLabel("× per round"))
        beta_row.addWidget(self.decay_spin, 1)
        form.addRow("Expert's share β", beta_row)
        form.addRow("Expert takes over when off by", self.gate_spin)
        form.addRow("Noise on the expert's steps", self.noise_spin)
        form.addRow("Observation parts", self.parts)
        form.addRow("More BC settings", self.bc_sets)
        form.addRow("", self.baseline)
        self.start_button = QPushButton("Start DAgger")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        self.status_label = QLabel("Rounds run on the open recordings file.")
        self.status_label.setWordWrap(True)

        self.plot = DaggerChart()
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(500)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status_label)
        layout.addWidget(self.plot, 2)  # the chart is what the dock is for; the log scrolls
        layout.addWidget(self.log, 1)

    def _on_labeller(self, _index: int) -> None:
        # A person's labels come after the rollouts: no expert to execute or to compare with.
        for field in (
            self.baseline,
            self.beta_spin,
            self.decay_spin,
            self.gate_spin,
            self.noise_spin,
        ):
            field.setEnabled(not self.by_person)

    def _on_gate(self, value: float) -> None:
        # With beta mixing on top, the expert would drive most of round 1 whatever the gate.
        if value > 0 and self._gate_was_off:
            self.beta_spin.setValue(0.0)
        self._gate_was_off = value == 0

    # ----------------------------------------------------------------------------- running
    @property
    def running(self) -> bool:
        """Whether rounds are running."""
        return self._process is not None

    def arguments(self, path: Path) -> list[str]:
        """The ``imitation-studio dagger`` arguments for the panel's settings."""
        self.run_dir = path.parent / "runs" / f"dagger-{len(self._runs(path)) + 1}"
        return [
            "-m",
            "studio.cli",
            "dagger",
            "--data",
            str(path),
            "--env",
            self._scene(),
            "--expert",
            str(self.expert.currentData()),
            "--rounds",
            str(1 if self.by_person else self.rounds_spin.value()),
            "--episodes-per-round",
            str(self.episodes_spin.value()),
            "--eval-episodes",
            str(self.eval_spin.value()),
            *(["--obs-keys", "all"] if self.parts.currentData() == "all" else []),
            "--set",
            f"steps={self.steps_spin.value()}",
            *(x for k, v in self.more_bc_settings().items() for x in ("--set", f"{k}={v}")),
            "--device",
            "cpu",
            "--threads",
            "1",
            *(["--bc-baseline"] if self.baseline.isChecked() and not self.by_person else []),
            *(
                []
                if self.by_person
                else [
                    "--beta",
                    f"{self.beta_spin.value():g}",
                    "--beta-decay",
                    f"{self.decay_spin.value():g}",
                ]
            ),
            *(["--gate", f"{self.gate_spin.value():g}"] if self.gated else []),
            *(
                ["--expert-noise", f"{self.noise_spin.value():g}"]
                if self.noise_spin.value() > 0 and not self.by_person
                else []
            ),
            "--runs-dir",
            str(self.run_dir.parent),
            "--name",
            self.run_dir.name,
        ]

    def more_bc_settings(self) -> dict[str, str]:
        """The "More BC settings" field as KEY -> VALUE.

        Raises:
            ValueError: a pair is not KEY=VALUE, or BC has no such setting or rejects the value.
        """
        pairs: dict[str, str] = {}
        for pair in self.bc_sets.text().split():
            key, sep, value = pair.partition("=")
            if not sep or not key or not value:
                raise ValueError(f"{pair!r} is not KEY=VALUE")
            pairs[key] = value
        if pairs:  # an empty field needs no check, nor torch imported on the GUI thread
            import algorithms

            algorithms.make_config("bc", pairs)
        return pairs

    @property
    def gated(self) -> bool:
        """Whether the scripted expert takes over where the policy strays (HG-DAgger)."""
        return self.gate_spin.value() > 0 and not self.by_person

    @property
    def by_person(self) -> bool:
        """Whether a person labels (in relabel mode) between rounds: one round per Start."""
        return self.expert.currentData() == "file"

    @staticmethod
    def _runs(path: Path) -> list[Path]:
        runs = path.parent / "runs"
        return sorted(runs.glob("dagger-*")) if runs.is_dir() else []

    def start(self) -> bool:
        """Start the rounds on the open recordings file; False (with a reason) when it cannot."""
        path = self._path()
        if self.running:
            return False
        if path is None or not Path(path).exists():
            self.status_label.setText("Open a recordings file with demos first (File ▸ Open).")
            return False
        try:
            self.more_bc_settings()
        except ValueError as exc:
            self.status_label.setText(f"More BC settings: {exc}")
            return False
        self._first = len(self.rounds) if self.by_person else 0
        if not self.by_person:  # a person's rounds add up over Starts; the expert's do not
            self.rounds = []
            self.plot.show_rounds([])
        self.log.clear()
        self._buffer, self._stopping = "", False
        proc = QProcess(self)
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        proc.readyReadStandardOutput.connect(self._on_output)
        proc.finished.connect(self._on_finished)
        self._process = proc
        proc.start(sys.executable, self.arguments(Path(path)))
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.status_label.setText("Round 0: training BC on the file's demos…")
        return True

    def stop(self) -> None:
        """Stop the rounds (the rollouts appended so far stay in the file)."""
        if self._process is not None:
            self._stopping = True
            self._process.terminate()

    def wait(self, msecs: int = 30_000) -> None:
        """Wait for the process to end (closing the window)."""
        if self._process is not None:
            self._process.waitForFinished(msecs)

    def _on_output(self) -> None:
        assert self._process is not None
        self._buffer += bytes(self._process.readAllStandardOutput().data()).decode(errors="replace")
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self.log.appendPlainText(line)
            if _ROUND.match(line):
                self._read_summary()

    def _read_summary(self) -> None:
        if self.run_dir is None:
            return
        try:
            rounds = json.loads((self.run_dir / "summary.json").read_text())["rounds"]
        except (OSError, ValueError, KeyError):
            return
        for summary in rounds[len(self.rounds) - self._first :]:
            self.rounds.append(summary)
            self.round_finished.emit(summary)
        self._draw()

    def _draw(self) -> None:
        self.plot.show_rounds(self.rounds)
        if self.rounds:
            first, last = self.rounds[0], self.rounds[-1]
            total = 1 if self.by_person else self.rounds_spin.value()
            same = (
                f", BC with as many labels {last['bc_success']:.0%}" if "bc_success" in last else ""
            )
            self.status_label.setText(
                f"Round {last['round']}/{total}: {last['labelled_steps']} labelled steps, "
                f"success {last['eval_success']:.0%}{same} (round 0: {first['eval_success']:.0%})"
            )

    def _on_finished(self, code: int, _status: Any) -> None:
        self._on_output()
        if self._buffer:
            self.log.appendPlainText(self._buffer)
        self._read_summary()
        self._process = None
        self.start_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        if self._stopping:
            status, text = "stopped", f"DAgger stopped after {len(self.rounds)} trainings"
        elif code == 0 and self.by_person:
            n = self.episodes_spin.value()
            status, text = (
                "done",
                (
                    f"Round done: {n} new rollouts are in the file, unlabelled. Label them: play"
                    " one in the Demos panel, L to relabel, Return to save; then Start the next"
                    " round."
                ),
            )
        elif code == 0:
            status, text = "done", f"DAgger done: {len(self.rounds)} trainings, run {self.run_dir}"
        else:
            tail = self.log.toPlainText().strip().splitlines()[-1:] or [""]
            status, text = "failed", f"DAgger failed: {tail[0]}"
        self.status_label.setText(text)
        self.finished.emit(status, text)

    # ----------------------------------------------------------------------------- for tests
    def points(self, curve: str = "dagger") -> list[tuple[float, float]]:
        """A curve's points, ``dagger`` or ``bc``: (labelled steps, success rate)."""
        return self.plot.points(curve)

"""The presenter: shows the studio's state in the widgets (overlay, bars, toolbar, status).

It reads the mode from the mode machine and the rest from the parts; it changes nothing but
what is on screen. It follows the parts' signals itself (:meth:`Presenter.connect`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor

from studio.app.commands import COMMANDS, is_shortcut
from studio.app.modes import Mode
from studio.app.panels import recording_text, scene_title

if TYPE_CHECKING:
    from studio.app.window import MainWindow

BANNER_MS = 2500
_GREEN, _AMBER, _RED, _BLUE = (
    QColor(40, 150, 80),
    QColor(190, 110, 30),
    QColor(200, 60, 40),
    QColor(70, 90, 130),
)


class Presenter:
    """Maps the studio's state onto the window's widgets."""

    def __init__(self, window: MainWindow) -> None:
        self.w = window
        self._banner_timer = QTimer(window)
        self._banner_timer.setSingleShot(True)
        self._banner_timer.timeout.connect(self._clear_banner)
        self._showing_result = False  # the banner says how an unrecorded episode ended

    def connect(self) -> None:
        """Follow the parts' signals."""
        w = self.w
        c, s = w.controller, w.session
        w.modes.mode_changed.connect(self.mode_changed)
        w.recovery_bar.kept.connect(self.recovered_kept)
        w.recovery_bar.discarded.connect(self.recovered_discarded)
        c.message.connect(lambda text: w.statusBar().showMessage(text, 5000))
        c.refused.connect(self.refused)
        c.episode_ended.connect(self.episode_ended)
        c.episode_decided.connect(self.episode_decided)
        c.episode_result.connect(self.episode_result)
        c.episode_started.connect(self.episode_started)
        c.speed_changed.connect(self.speed_changed)
        c.paused_changed.connect(lambda _p: self.mode_changed(w.modes.mode))
        c.playback_loaded.connect(self.playback_loaded)
        w.inputs.device_changed.connect(self.update_status)
        w.inputs.problem.connect(lambda text: w.statusBar().showMessage(text, 5000))
        s.demos_changed.connect(self.demos_changed)
        s.file_changed.connect(self.file_changed)
        w.policy_driver.wheel_changed.connect(self.wheel_changed)
        s.recovered_found.connect(self.recovered_found)
        w.recorder.waiting.connect(self.file_waiting)
        w.playback.frame_changed.connect(self.playback_frame)
        w.playback.playing_changed.connect(w.timeline.set_playing)
        w.frames.about_to_show.connect(self.before_frame)
        w.frames.frame_shown.connect(w.frame_rendered)

    # ----------------------------------------------------------------------------- mode
    def mode_changed(self, mode: Mode, _old: Mode | None = None) -> None:
        """Enable what the mode offers; show the mode's widgets and overlay."""
        w = self.w
        for c in COMMANDS:
            w.actions_by_id[c.id].setEnabled(mode in c.modes)
        w.toolbar.set_mode(mode, w.scene.paused)
        w.timeline.setVisible(mode.replays)
        if mode is not Mode.PENDING:
            w.end_bar.hide()
        if w.scene.paused and mode.drives_scene:
            w.viewport.set_banner("Paused", _BLUE)
        elif w.viewport.banner() == "Paused":
            w.viewport.set_banner("")
        self.update_overlay()
        self.update_status()

    def scene_changed(self) -> None:
        """A new scene: the picker, the help panel, the overlay."""
        w = self.w
        w.toolbar.set_scene(w.scene.env_id)
        keys = w.inputs.keyboard.bindings
        cmds = w.commands
        sections: list[tuple[str, list[tuple[str, str]]]] = [("Driving", keys.help_rows())]
        for menu, title in (
            ("Episode", "Episode"),
            ("Playback", "Playback"),
            ("View", "View"),
            ("Help", "Help"),
        ):
            rows = [
                (cmds.key_text(c.id), c.title.replace("&", ""))
                for c in COMMANDS
                if c.menu == menu and cmds.keys.get(c.id)
                if not any(is_shortcut(k) for k in cmds.keys[c.id])
            ]
            sections.append((title, rows))
        if w.inputs.gamepad is not None:
            stick = ("left stick", "drive (overrides the keys when moved)")
            if w.scene.env.action_labels == ["throttle", "steering"]:
                stick = ("triggers · right stick", "throttle · steering")
            sections.append(("Gamepad", [stick, *cmds.pad_rows()]))
        w.controls_panel.show_sections(sections)
        self.update_overlay()

    def toggle_hints(self) -> None:
        """F1: show or hide the overlay's key hints (the overlay says so)."""
        vp = self.w.viewport
        vp.set_hints_visible(not vp.hints_visible())

    # ----------------------------------------------------------------------------- overlay
    def update_overlay(self) -> None:
        """Title and hints for the mode, then the per-frame parts."""
        w = self.w
        mode = w.modes.mode
        if mode.replays:
            pb = w.playback
            head = "▶ Playback" if mode is Mode.PLAYBACK else "✎ Relabelling"
            w.viewport.set_title(
                f"{head} · {pb.name} · frame {pb.index + 1}/{pb.length} · {pb.speed:g}×"
            )
        else:
            mark = {Mode.RECORDING: "●", Mode.PENDING: "■", Mode.POLICY: "◆"}.get(mode, "●")
            title = mode.title
            if w.controller.policy_drives or (
                mode is Mode.PENDING and w.recorder.source == "policy"
            ):
                title = f"{title} · policy {w.policy_driver.label}"
                if mode is Mode.RECORDING:
                    title = f"Recording the policy · {w.policy_driver.label}"
            w.viewport.set_title(
                f"{mark} {title} · {scene_title(w.scene.env_id)} · {w.controller.speed:g}×"
            )
        person_drives = mode.reads_controls and not w.controller.policy_drives
        # The overlay stays short: the driving keys without the "hold Shift" row (the Controls
        # panel lists it).
        keys = w.inputs.keyboard.bindings
        hints = keys.help_rows(with_precision=False) if person_drives else []
        if mode.drives_scene and w.controller.policy_drives:
            hints.append(("hold a driving key / LB", "take over (let go: hand back)"))
        hints += w.commands.help_rows([mode], hints_only=True)
        w.viewport.set_hints(hints)
        self.before_frame()

    def before_frame(self) -> None:
        """The parts of the overlay that change every step: REC badge, the action bars."""
        w = self.w
        mode = w.modes.mode
        vp = w.viewport
        labels = w.scene.env.action_labels
        if mode is Mode.RELABEL:
            vp.set_recording(False)
            vp.set_action(w.inputs.last_action, labels, "your label")
            return
        if mode is Mode.PLAYBACK:
            vp.set_recording(False)
            if w.playback.length:
                vp.set_action(w.playback.actions[w.playback.index], labels, "recorded action")
            return
        vp.set_recording(mode is Mode.RECORDING, f"REC  {w.recorder.steps} steps")
        if mode is Mode.RECORDING:
            # The status bar's count follows the badge's frame by frame; its 4 Hz refresh
            # alone left the two a few steps apart.
            w.status.show_recording(w.recorder.steps)
        if w.controller.policy_drives and w.policy_driver.person_drove:
            vp.set_action(w.inputs.last_action, labels, "your action (take-over)")
            return
        if w.controller.policy_drives:
            vp.set_action(w.policy_driver.last_action, labels, "policy action")
            return
        device = "gamepad" if w.inputs.active_device.startswith("gamepad") else "keyboard"
        vp.set_action(w.inputs.last_action, labels, f"command ({device})")

    def playback_frame(self, _index: int) -> None:
        """A playback frame was shown."""
        w = self.w
        w.timeline.set_frame(w.playback.index)
        self.update_overlay()

    def wheel_changed(self, person: bool) -> None:
        """A take-over began (the person holds the wheel) or ended."""
        w = self.w
        if person:
            w.viewport.set_banner("You have the wheel — let go to hand it back", _BLUE)
        elif w.viewport.banner().startswith("You have the wheel"):
            w.viewport.set_banner("")

    def playback_loaded(self, name: str, episode: Any) -> None:
        """A demo is in playback: the timeline and the demos panel follow."""
        w = self.w
        env = w.scene.env
        w.timeline.set_episode(np.asarray(episode.actions), env.action_labels, env.control_dt)
        w.timeline.set_speed(w.playback.speed)
        w.dataset_panel.select(name)
        self.update_overlay()

    def speed_changed(self, speed: float) -> None:
        """The one speed changed."""
        self.w.toolbar.set_speed(speed)
        self.w.timeline.set_speed(speed)
        self.update_overlay()
        self.update_status()

    # ----------------------------------------------------------------------------- episodes
    def episode_result(self, reason: str, success: bool) -> None:
        """An episode ended by itself."""
        self.w.viewport.set_banner(reason.capitalize(), _GREEN if success else _AMBER)
        self._showing_result = True

    def episode_started(self) -> None:
        """A new episode began: how the last one ended is old news."""
        # Live driving resets by itself after an episode ends; the banner used to stay, so
        # "Time limit" sat over the next episode while the person drove it.
        if self._showing_result:
            self._showing_result = False
            self._clear_banner()

    def episode_ended(self, reason: str, success: bool, steps: int) -> None:
        """A recording stopped: ask keep or discard."""
        cmds = self.w.commands
        mark = "✓ success" if success else f"✗ {reason}"
        self.w.end_bar.ask(
            f"<b>Episode ended</b> — {mark} after {steps} steps. Keep it in the recordings file?",
            success,
            keep=f"Keep  ({cmds.key_text('keep')})",
            discard=f"Discard  ({cmds.key_text('discard')})",
        )

    def episode_decided(self, text: str) -> None:
        """The episode was kept or discarded."""
        w = self.w
        w.end_bar.hide()
        self._clear_banner()
        w.statusBar().showMessage(text, 5000)

    def refused(self, text: str) -> None:
        """A command was refused: say why, briefly, where the person looks."""
        self.w.viewport.set_banner(text, _RED)
        self._banner_timer.start(BANNER_MS)
        self.w.statusBar().showMessage(text, 8000)

    def _clear_banner(self) -> None:
        w = self.w
        paused = w.scene.paused and w.modes.mode.drives_scene
        w.viewport.set_banner("Paused" if paused else "", _BLUE)

    # ----------------------------------------------------------------------------- file
    def demos_changed(self) -> None:
        """The demos list or header changed."""
        w = self.w
        w.dataset_panel.set_header(w.session.header)
        w.dataset_panel.set_rows(w.session.rows())

    def file_changed(self, path: str) -> None:
        """Another recordings file is open."""
        w = self.w
        w.recovery_bar.hide()
        name = path.rsplit("/", 1)[-1]
        w.setWindowTitle(f"Imitation Studio — {name}" if path else "Imitation Studio")

    def recovered_found(self, names: list[str]) -> None:
        """Offer back what a crash or an undecided close left: keep or discard, the person's
        choice (offered at every opening until answered)."""
        w = self.w
        w.recovery_bar.ask(recovery_text(w.recorder.infos(names)), False)

    def recovered_kept(self) -> None:
        """The person keeps the recovered episodes."""
        self.w.recovery_bar.hide()
        if self.w.session.keep_recovered():
            self.w.statusBar().showMessage("Recovered episodes kept", 5000)

    def recovered_discarded(self) -> None:
        """The person discards the recovered episodes."""
        self.w.recovery_bar.hide()
        if self.w.session.discard_recovered():
            self.w.statusBar().showMessage("Recovered episodes discarded", 5000)

    def file_waiting(self, text: str) -> None:
        """Another process holds the file: say so now, though the GUI thread waits."""
        bar = self.w.statusBar()
        bar.showMessage(text, 8000)
        bar.repaint()  # the event loop is blocked until the wait ends: paint at once

    # ----------------------------------------------------------------------------- status
    def update_status(self) -> None:
        """Sim time, real-time factor, frames/s, mode, device and file."""
        w = self.w
        scene, mode, meter = w.scene, w.modes.mode, w.frames.meter
        meter.sim_time(scene.loop_steps * scene.env.control_dt, mode.drives_scene and scene.running)
        rec = {
            Mode.LIVE: "not recording",
            Mode.RECORDING: recording_text(w.recorder.steps),
            Mode.PENDING: "ended: keep/discard?",
            Mode.PLAYBACK: "playback",
            Mode.POLICY: "policy driving",
            Mode.RELABEL: "relabelling",
        }[mode]
        w.status.show_values(
            sim_time=float(scene.env.data.time),
            rtf=meter.rtf(),
            speed=w.controller.speed,
            fps=meter.fps(),
            rec=rec,
            device=w.inputs.device_text(),
            file=str(w.recorder.path) if w.recorder.path else "",
        )


def recovery_text(infos: list[Any]) -> str:
    """The recovery bar's question, worded by how each episode was left: a crash, or a close
    while it awaited keep or discard (``DemoInfo.attrs["undecided"]``)."""
    undecided = [i for i in infos if i.attrs.get("undecided")]
    crashed = [i for i in infos if not i.attrs.get("undecided")]
    parts = []
    for group, head, how_one, how_many in (
        (
            undecided,
            "Left undecided when the studio closed",
            "awaited keep or discard",
            "awaited keep or discard",
        ),
        (
            crashed,
            "Recovered after a crash",
            "was being recorded when the studio stopped",
            "were being recorded when the studio stopped",
        ),
    ):
        if not group:
            continue
        steps = sum(int(i.num_samples) for i in group)
        if len(group) == 1:
            i = group[0]
            end = "" if i.success is None else (" ✓ success" if i.success else " ✗ no success")
            parts.append(f"<b>{head}</b> — {i.name}{end}, {steps} steps, {how_one}.")
        else:
            names = ", ".join(i.name for i in group)
            parts.append(
                f"<b>{head}</b> — {len(group)} episodes ({names}), {steps} steps, {how_many}."
            )
    one = len(infos) == 1
    return " ".join(parts) + (" Keep it" if one else " Keep them") + " in the recordings file?"

"""The command palette: the current screen's key actions, plus what that screen offers
(steps to jump to, scenarios to open), so everything the keys do can also be searched for."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen


@dataclass(frozen=True)
class PaletteCommand:
    """One palette entry: its name, a line of help, what it does."""

    name: str
    help: str
    run: Callable[[], object]


def screen_commands(screen: Screen[object]) -> Iterator[PaletteCommand]:
    """The screen's bindings that have a description (app ones too), then its own extras."""
    seen: set[str] = set()
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or not active.enabled or binding.action in seen:
            continue
        seen.add(binding.action)
        key = active.binding.key_display or screen.app.get_key_display(binding)
        yield PaletteCommand(
            binding.description,
            f"{binding.tooltip or binding.description}  [{key}]",
            partial(screen.app.run_action, binding.action, active.node),
        )
    extras = getattr(screen, "palette_commands", None)
    if callable(extras):
        yield from extras()


class CockpitCommands(Provider):
    """Commands of the screen the palette was opened on (posting's screen-aware provider)."""

    def _commands(self) -> list[PaletteCommand]:
        return list(screen_commands(self.screen))

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.name, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), command.run, help=command.help)

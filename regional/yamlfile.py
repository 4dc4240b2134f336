"""Reading a user's YAML: PyYAML's safe loader, with duplicate keys and alias bombs refused.

PyYAML keeps the last of two equal keys without a word, and it builds an alias as a shared
reference, so a few hundred bytes of nested aliases (a "billion laughs") become a document
that any walk over it (path expansion, validation) takes forever to visit. This loader
refuses both before anything walks the document.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# A scenario has a few hundred keys and values; the largest list a user writes (surges, extra
# beds) has at most thousands of items. A document whose aliases expand beyond this many
# nodes is an alias bomb, not a scenario.
MAX_EXPANDED_NODES = 100_000
MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlError(ValueError):
    """A YAML document that cannot be read; the message says where (``line L``) and why."""


class _StrictLoader(yaml.SafeLoader):
    """The safe loader, refusing a key that appears twice in one mapping."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: the base class says so
                continue
            if first is not None:
                raise YamlError(
                    f"line {line}: key {key!r} appears twice in one mapping (first on line "
                    f"{first}); keep one (YAML would silently keep the last)"
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def expanded_size(node: Node, limit: int = MAX_EXPANDED_NODES) -> int:
    """How many nodes the document has once every alias is expanded (counting stops past
    ``limit``); shared nodes are sized once, so this takes time linear in the document.

    Raises:
        YamlError: an alias inside the mapping or list it names (a document without end).
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(n: Node) -> int:
        known = sizes.get(id(n))
        if known is not None:
            return known
        if id(n) in open_nodes:
            raise YamlError(
                f"line {n.start_mark.line + 1}: an alias refers to the mapping or list that "
                "holds it, which has no end; write the values out"
            )
        open_nodes.add(id(n))
        total = 1
        children: list[Node] = []
        if isinstance(n, SequenceNode):
            children = list(n.value)
        elif isinstance(n, MappingNode):
            children = [part for pair in n.value for part in pair]
        for child in children:
            if not isinstance(child, ScalarNode):
                total += size(child)
            else:
                total += 1
            if total > limit:
                break
        open_nodes.discard(id(n))
        sizes[id(n)] = min(total, limit + 1)
        return sizes[id(n)]

    return size(node)


def load_yaml(text: str) -> Any:
    """The document of ``text`` (None when empty).

    Raises:
        YamlError: invalid YAML, a duplicate key, or aliases that expand beyond
            ``MAX_EXPANDED_NODES`` nodes; the message starts with ``line L`` when it can.
    """
    loader = _StrictLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise YamlError("nested too deeply to be a scenario; flatten it") from None
        if node is None:
            return None
        try:
            expanded = expanded_size(node)
        except RecursionError:
            raise YamlError("nested too deeply to be a scenario; flatten it") from None
        if expanded > MAX_EXPANDED_NODES:
            raise YamlError(
                f"line {node.start_mark.line + 1}: its aliases (*name) expand to more than "
                f"{MAX_EXPANDED_NODES:,} values; write the values out instead of nesting aliases"
            )
        try:
            return loader.construct_document(node)
        except RecursionError:
            raise YamlError("nested too deeply to be a scenario; flatten it") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise YamlError(f"{where}{problem}; fix the YAML syntax") from None
    finally:
        loader.dispose()

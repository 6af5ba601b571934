// A walk over every visible node of a tree, in the order TSTreeCursor
// visits them (pre-order, hidden nodes transparent), that hands over only
// the nodes of the symbols asked for.
//
// TSTreeCursor computes, for every node it steps on, far more than the
// extraction needs (descendant indexes, an entry pushed and popped per
// step), about a tenth of the instructions of a first analysis; this walk
// reads the runtime's subtrees directly and builds a TSNode only for a node
// it hands over. It is C, compiled with the runtime (it needs the runtime's
// own headers, of the version pinned in grammars/package-lock.json).
//
// Thread safety: reads the tree only; any number of walks at once.
#ifndef TETHER_PLUGINS_CODE_TREE_WALK_H_
#define TETHER_PLUGINS_CODE_TREE_WALK_H_

#include <stdbool.h>
#include <stdint.h>
#include <tree_sitter/api.h>

#ifdef __cplusplus
extern "C" {
#endif

// Called for each visible node whose public symbol (ts_node_symbol's) is
// below `wanted_count` and has a non-zero `wanted` entry; `depth` counts
// the visible nodes above it (0: `root`).
typedef void (*TetherWalkVisit)(void* context, TSNode node, TSSymbol symbol, uint32_t depth);
// Called every 4096 nodes; the walk stops when it returns false.
typedef bool (*TetherWalkGoOn)(void* context);

// Walks `root` and every visible node under it. False when go_on stopped it.
bool tether_walk_tree(TSNode root, const uint8_t* wanted, uint32_t wanted_count, TetherWalkVisit visit,
                      TetherWalkGoOn go_on, void* context);

#ifdef __cplusplus
}
#endif

#endif  // TETHER_PLUGINS_CODE_TREE_WALK_H_

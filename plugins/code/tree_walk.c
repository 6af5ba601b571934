#include "tree_walk.h"

#include <stdio.h>
#include <stdlib.h>

#include "language.h"
#include "subtree.h"
#include "tree.h"

// The children of one subtree still to visit (as TSTreeCursor's child
// iterator keeps them): where the next child starts (its padding
// skipped), its index among all children and among the structural ones
// (extras aside, which index the alias sequence), and the visible depth of
// the nodes found there.
typedef struct {
  Subtree parent;
  Length position;
  uint32_t child_index;
  uint32_t structural_child_index;
  const TSSymbol* alias_sequence;
  uint32_t depth;
} Frame;

typedef struct {
  Frame* frames;
  uint32_t size;
  uint32_t capacity;
} Stack;

static void push(Stack* stack, const TSLanguage* language, Subtree parent, Length position, uint32_t depth) {
  if (stack->size == stack->capacity) {
    uint32_t capacity = stack->capacity ? stack->capacity * 2 : 64;
    Frame* frames = (Frame*)realloc(stack->frames, capacity * sizeof(Frame));
    if (frames == NULL) {
      fprintf(stderr, "tether: out of memory walking a tree\n");
      abort();
    }
    stack->frames = frames;
    stack->capacity = capacity;
  }
  Frame* frame = &stack->frames[stack->size++];
  frame->parent = parent;
  frame->position = position;
  frame->child_index = 0;
  frame->structural_child_index = 0;
  frame->alias_sequence = ts_language_alias_sequence(language, parent.ptr->production_id);
  frame->depth = depth;
}

bool tether_walk_tree(TSNode root, const uint8_t* wanted, uint32_t wanted_count, TetherWalkVisit visit,
                      TetherWalkGoOn go_on, void* context) {
  const TSTree* tree = root.tree;
  const TSLanguage* language = tree->language;
  const Subtree* root_subtree = (const Subtree*)root.id;
  const TSSymbol root_symbol = ts_node_symbol(root);
  if (root_symbol < wanted_count && wanted[root_symbol]) visit(context, root, root_symbol, 0);
  if (ts_subtree_child_count(*root_subtree) == 0) return true;

  Stack stack = {NULL, 0, 0};
  const Length root_position = {root.context[0], {root.context[1], root.context[2]}};
  push(&stack, language, *root_subtree, root_position, 1);
  uint32_t visited = 0;
  bool finished = true;
  while (stack.size > 0) {
    Frame* frame = &stack.frames[stack.size - 1];
    const uint32_t count = frame->parent.ptr->child_count;
    if (frame->child_index == count) {
      --stack.size;
      continue;
    }
    const Subtree* children = ts_subtree_children(frame->parent);
    const Subtree* child = &children[frame->child_index];
    const Length position = frame->position;
    TSSymbol alias = 0;
    if (!ts_subtree_extra(*child)) {
      if (frame->alias_sequence) alias = frame->alias_sequence[frame->structural_child_index];
      frame->structural_child_index++;
    }
    frame->position = length_add(frame->position, ts_subtree_size(*child));
    frame->child_index++;
    if (frame->child_index < count) {
      frame->position = length_add(frame->position, ts_subtree_padding(children[frame->child_index]));
    }
    const uint32_t depth = frame->depth;
    if (ts_subtree_visible(*child) || alias != 0) {
      if (++visited % 4096 == 0 && !go_on(context)) {
        finished = false;
        break;
      }
      const TSSymbol symbol = ts_language_public_symbol(language, alias ? alias : ts_subtree_symbol(*child));
      if (symbol < wanted_count && wanted[symbol]) visit(context, ts_node_new(tree, child, position, alias), symbol, depth);
      if (ts_subtree_child_count(*child) > 0) push(&stack, language, *child, position, depth + 1);
    } else if (ts_subtree_visible_child_count(*child) > 0) {
      push(&stack, language, *child, position, depth);
    }
  }
  free(stack.frames);
  return finished;
}

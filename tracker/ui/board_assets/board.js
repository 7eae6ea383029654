// The Kanban board (Streamlit Components API v2). Python sends the board as `data`; this module
// draws it and sends back one trigger per user action: "move" {id, from, to, version, nonce},
// "open" {id, nonce} and "more" {status, nonce}. Every piece of user text goes in through
// textContent, never innerHTML.
//
// Moves are optimistic: a drop (or "Chuyển sang…") on a column the card lists among its targets
// moves the card there at once (only that card, the two column counts and the cells' footers
// are redrawn), marked "Đang lưu…" (kb-pending, aria-busy), and then sends the move. The module is called again whenever `data` changes;
// that data is the database's board and always wins. `data.ack.nonce` is the last move the server
// has answered: guesses up to it are dropped (a refused card is simply drawn where it is), later
// ones are drawn again on top of a board that arrived for another reason. A guess the server
// never answers (its event lost) is dropped after PENDING_MS.

const PENDING_MS = 30000;
const boards = new WeakMap(); // parentElement -> {data, pending: Map(card id -> move), ...}
let lastNonce = 0;

function nextNonce() {
  lastNonce = Math.max(Date.now(), lastNonce + 1); // grows with every event, even within one millisecond
  return lastNonce;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".kb-root");
  if (!root || !data) return;
  let state = boards.get(parentElement);
  if (!state) { // first drawn (or drawn again after a visit to another page): no answer is news
    state = { pending: new Map(), seenAck: data.ack ? data.ack.nonce : undefined, focusId: undefined };
    boards.set(parentElement, state);
  }
  Object.assign(state, { data, root, setTriggerValue });

  const ack = data.ack && typeof data.ack.nonce === "number" ? data.ack : null;
  if (ack) {
    for (const [id, pending] of state.pending) {
      if (pending.nonce > ack.nonce) continue;
      if (pending.focus) state.focusId = id; // keyboard users keep their place on the redrawn board
      forget(state, id);
    }
  }
  const fresh = ack !== null && ack.nonce !== state.seenAck;
  state.seenAck = ack ? ack.nonce : undefined;
  render(state, { highlight: fresh && ack.ok === true });
}

function forget(state, id) {
  const pending = state.pending.get(id);
  if (pending) clearTimeout(pending.timer);
  state.pending.delete(id);
}

// Applies one unanswered move to a board model ({columns, lanes}, changed in place). Returns what
// changed, or null when the board no longer has the card where it was taken from.
function applyMove(model, id, move) {
  const lane = model.lanes.find((l) => String(l.key) === String(move.lane));
  const from = lane && lane.cells[move.from];
  const to = lane && lane.cells[move.to];
  const at = from ? from.cards.findIndex((c) => c.id === id) : -1;
  if (at < 0 || !to || !from.cards[at].targets.includes(move.to)) return null;
  const [card] = from.cards.splice(at, 1);
  const moved = { ...card, status: move.to, pending: true };
  from.count -= 1;
  to.count += 1;
  // Where the server will list it (most urgent first); after the shown cards if it sorts below them.
  let place = to.cards.findIndex((c) => String(c.order) > String(moved.order));
  if (place < 0) place = to.cards.length;
  to.cards.splice(place, 0, moved);
  for (const column of model.columns) {
    if (column.status === move.from) column.count -= 1;
    if (column.status === move.to) column.count += 1;
    column.over = column.wip ? column.count > column.wip : false;
  }
  return { lane, from, to, moved, place };
}

// The board to draw: the server's data with the unanswered moves applied on top.
function view(state) {
  const { data } = state;
  const model = {
    columns: data.columns.map((column) => ({ ...column })),
    lanes: data.lanes.map((lane) => ({
      ...lane,
      cells: Object.fromEntries(Object.entries(lane.cells).map(
        ([status, cell]) => [status, { count: cell.count, wip: cell.wip, cards: cell.cards.slice() }])),
    })),
  };
  for (const [id, pending] of state.pending) {
    if (!applyMove(model, id, pending)) forget(state, id); // the server's board has it elsewhere: it wins
  }
  return model;
}

function send(state, name, value) {
  state.setTriggerValue(name, { ...value, nonce: nextNonce() });
}

// A move asked for on the board: shown at once if the card lists the column among its targets
// (only the changed cards, counts and cell footers are redrawn), then sent to the server.
function move(state, card, laneKey, to, byKeyboard) {
  if (card.pending || state.pending.has(card.id) || to === card.status) return;
  const nonce = nextNonce();
  if (card.targets.includes(to)) {
    const pending = { nonce, lane: laneKey, from: card.status, to, focus: byKeyboard };
    const change = applyMove(state.model, card.id, pending);
    if (change) {
      pending.timer = setTimeout(() => {
        if (state.pending.get(card.id)?.nonce !== nonce) return;
        state.pending.delete(card.id); // never answered: show the server's board as it last came
        render(state);
      }, PENDING_MS);
      state.pending.set(card.id, pending);
      patch(state, card.id, pending, change);
    }
  }
  state.setTriggerValue("move", { id: card.id, from: card.status, to, version: card.version, nonce });
}

function patch(state, id, move, change) {
  const { root } = state;
  const zoneOf = (status) => root.querySelector(
    `.kb-cell[data-lane="${CSS.escape(String(change.lane.key))}"][data-status="${CSS.escape(status)}"]`);
  const fromZone = zoneOf(move.from);
  const toZone = zoneOf(move.to);
  const old = fromZone && fromZone.querySelector(`.kb-card[data-id="${Number(id)}"]`);
  if (!toZone || !old) {
    if (move.focus) state.focusId = id;
    render(state);
    return;
  }
  old.remove();
  const node = cardNode(state, change.moved, change.lane.key, false);
  const next = change.to.cards[change.place + 1];
  const before = next ? toZone.querySelector(`.kb-card[data-id="${Number(next.id)}"]`)
    : toZone.querySelector(".kb-more, .kb-empty");
  toZone.insertBefore(node, before || null);
  fillFooter(state, fromZone, change.from, move.from);
  fillFooter(state, toZone, change.to, move.to);
  for (const column of state.model.columns) {
    if (column.status !== move.from && column.status !== move.to) continue;
    const count = root.querySelector(`.kb-col-head[data-status="${CSS.escape(column.status)}"] .kb-count`);
    if (count) fillCount(count, column);
  }
  if (move.focus) node.querySelector(".kb-title").focus();
}

function fillCount(count, column) {
  count.className = "kb-count" + (column.over ? " kb-over" : "");
  count.textContent = column.wip ? `${column.count} / ${column.wip}` : String(column.count);
  count.title = column.wip
    ? (column.over ? `Vượt giới hạn WIP (${column.wip})` : `Giới hạn WIP: ${column.wip}`)
    : "Số công việc";
}

// A lane's cell over its own WIP limit (set by the office when lanes are shown): marked, with its count.
function fillCellLimit(zone, cell) {
  const over = cell.wip ? cell.count > cell.wip : false;
  zone.classList.toggle("kb-cell-over", over);
  let badge = zone.querySelector(":scope > .kb-cell-limit");
  if (!over) {
    if (badge) badge.remove();
    return;
  }
  if (!badge) {
    badge = el("div", "kb-cell-limit");
    zone.insertBefore(badge, zone.firstChild);
  }
  badge.textContent = `Vượt giới hạn WIP của làn: ${cell.count} / ${cell.wip}`;
}

// "Xem thêm (shown/count)" under a cell with more cards, "Không có công việc" in an empty one.
function fillFooter(state, zone, cell, status) {
  fillCellLimit(zone, cell);
  for (const old of zone.querySelectorAll(":scope > .kb-more, :scope > .kb-empty")) old.remove();
  if (cell.count > cell.cards.length) {
    const more = el("button", "kb-more", `Xem thêm (${cell.cards.length}/${cell.count})`);
    more.type = "button";
    more.addEventListener("click", () => send(state, "more", { status }));
    zone.appendChild(more);
  } else if (!cell.cards.length) {
    zone.appendChild(el("div", "kb-empty", "Không có công việc"));
  }
}

function cardNode(state, card, laneKey, highlight) {
  return drawCard(card, state.data.status_labels || {}, highlight, {
    open: () => send(state, "open", { id: card.id }),
    move: (to) => move(state, card, laneKey, to, true),
    dragStart: () => { state.dragging = { card, lane: laneKey }; },
    dragEnd: () => { state.dragging = null; },
  });
}

function render(state, { highlight = false } = {}) {
  const { data, root } = state;
  const model = view(state);
  state.model = model;
  state.dragging = null;

  root.replaceChildren();
  const board = el("div", "kb-board");
  board.setAttribute("data-testid", "kanban-board");
  root.appendChild(board);

  for (const column of model.columns) {
    const head = el("div", "kb-col-head");
    head.setAttribute("data-status", column.status);
    head.setAttribute("data-testid", "kanban-column-head");
    head.appendChild(el("span", "kb-col-title", column.label));
    const count = el("span");
    fillCount(count, column);
    head.appendChild(count);
    board.appendChild(head);
  }

  for (const lane of model.lanes) {
    if (data.swimlanes) {
      const title = el("div", "kb-lane-title", lane.label);
      title.setAttribute("data-testid", "kanban-lane");
      board.appendChild(title);
    }
    for (const column of model.columns) {
      const cell = lane.cells[column.status];
      const zone = el("div", "kb-cell");
      zone.setAttribute("role", "list");
      zone.setAttribute("aria-label", `${column.label}${data.swimlanes ? " – " + lane.label : ""}`);
      zone.setAttribute("data-status", column.status);
      zone.setAttribute("data-lane", String(lane.key));
      zone.setAttribute("data-testid", "kanban-cell");

      const accepts = () => {
        const { dragging } = state;
        return dragging && dragging.lane === lane.key && dragging.card.targets.includes(column.status);
      };
      zone.addEventListener("dragover", (event) => {
        if (!accepts()) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        zone.classList.add("kb-drop");
      });
      zone.addEventListener("dragleave", () => zone.classList.remove("kb-drop"));
      zone.addEventListener("drop", (event) => {
        event.preventDefault();
        zone.classList.remove("kb-drop");
        if (!accepts()) return;
        const { card } = state.dragging;
        state.dragging = null;
        move(state, card, lane.key, column.status, false);
      });

      for (const card of cell.cards) zone.appendChild(cardNode(state, card, lane.key, highlight));
      fillFooter(state, zone, cell, column.status);
      board.appendChild(zone);
    }
  }

  const focusId = state.focusId;
  if (focusId !== undefined) {
    state.focusId = undefined;
    const target = root.querySelector(`.kb-card[data-id="${Number(focusId)}"] .kb-title`);
    if (target) target.focus();
  }
}

function drawCard(card, labels, highlight, actions) {
  const node = el("article", `kb-card kb-rag-${card.rag}`);
  node.setAttribute("role", "listitem");
  node.setAttribute("data-id", String(card.id));
  node.setAttribute("data-status", card.status);
  node.setAttribute("data-testid", "kanban-card");
  if (card.pending) {
    node.classList.add("kb-pending");
    node.setAttribute("aria-busy", "true");
  } else if (highlight && card.recent) {
    node.classList.add("kb-recent"); // just moved and saved: a short flash to find it in its column
  }
  const movable = card.targets.length > 0 && !card.pending;
  node.draggable = movable;
  if (movable) {
    node.addEventListener("dragstart", (event) => {
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", String(card.id));
      node.classList.add("kb-dragging");
      actions.dragStart();
    });
    node.addEventListener("dragend", () => {
      node.classList.remove("kb-dragging");
      actions.dragEnd();
    });
  }

  const top = el("div", "kb-top");
  const mark = el("span", "kb-mark", card.rag_label);
  mark.setAttribute("data-rag", card.rag);
  top.appendChild(mark);
  const task = el("span", "kb-task", `Nhiệm vụ ${card.task}`);
  task.title = card.plan;
  top.appendChild(task);
  top.appendChild(el("span", "kb-id", `#${card.id}`));
  node.appendChild(top);

  const title = el("button", "kb-title", card.title);
  title.type = "button";
  title.title = card.title;
  title.addEventListener("click", actions.open);
  node.appendChild(title);

  node.appendChild(el("div", "kb-unit", card.unit));
  if (card.coordinating) {
    const coord = el("div", "kb-coordinating", "Phối hợp");
    coord.title = "Đơn vị phối hợp: đơn vị chủ trì báo cáo tiến độ và chuyển trạng thái.";
    coord.setAttribute("data-testid", "kanban-card-coordinating");
    node.appendChild(coord);
  }
  const meta = el("div", "kb-meta");
  meta.appendChild(el("span", "kb-due", card.due ? `Hạn: ${card.due}` : "Chưa có hạn"));
  meta.appendChild(el("span", "kb-pct", `${card.progress}%`));
  node.appendChild(meta);
  if (card.done) node.appendChild(el("div", "kb-done", card.done));

  const bar = el("div", "kb-bar");
  bar.setAttribute("role", "progressbar");
  bar.setAttribute("aria-valuemin", "0");
  bar.setAttribute("aria-valuemax", "100");
  bar.setAttribute("aria-valuenow", String(card.progress));
  bar.setAttribute("aria-label", "Tiến độ");
  const fill = el("div", "kb-fill");
  fill.style.width = `${Math.max(0, Math.min(100, Number(card.progress) || 0))}%`;
  bar.appendChild(fill);
  node.appendChild(bar);

  if (card.blocked) {
    const flag = el("div", "kb-blocked", "Vướng mắc");
    if (card.blocked_reason) {
      flag.title = card.blocked_reason;
      flag.appendChild(el("span", "kb-blocked-reason", `: ${card.blocked_reason}`));
    }
    node.appendChild(flag);
  }

  if (card.pending) {
    const saving = el("div", "kb-saving", "Đang lưu…");
    saving.setAttribute("role", "status");
    saving.setAttribute("data-testid", "kanban-card-saving");
    node.appendChild(saving);
  } else if (movable) {
    const row = el("div", "kb-move");
    const select = el("select", "kb-move-select");
    select.setAttribute("aria-label", `Chuyển sang… (${card.title})`);
    select.setAttribute("data-testid", "kanban-move-select");
    select.appendChild(el("option", "", "Chuyển sang…")).value = "";
    for (const target of card.targets) {
      select.appendChild(el("option", "", labels[target] || target)).value = target;
    }
    const go = el("button", "kb-move-go", "Chuyển");
    go.type = "button";
    go.setAttribute("data-testid", "kanban-move-go");
    go.setAttribute("aria-label", `Chuyển thẻ #${card.id}`);
    go.addEventListener("click", () => { if (select.value) actions.move(select.value); });
    select.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && select.value) { event.preventDefault(); actions.move(select.value); }
    });
    row.appendChild(select);
    row.appendChild(go);
    node.appendChild(row);
  }
  return node;
}

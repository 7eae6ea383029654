// The Kanban board (Streamlit Components API v2). Python sends the board as `data`; this module
// draws it and sends back one trigger per user action: "move" {id, from, to, version, nonce},
// "open" {id, nonce} and "more" {status, nonce}. Every piece of user text goes in through
// textContent, never innerHTML. The module is called again whenever `data` changes: it redraws
// from scratch, so a refused move simply shows the card where the database says it is.

const focusAfterRender = new WeakMap();

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
  root.replaceChildren();
  const labels = data.status_labels || {};
  let dragging = null;

  const send = (name, value) => setTriggerValue(name, { ...value, nonce: Date.now() + Math.random() });

  const move = (card, to, returnFocus) => {
    if (returnFocus) focusAfterRender.set(parentElement, card.id);
    send("move", { id: card.id, from: card.status, to, version: card.version });
  };

  const board = el("div", "kb-board");
  board.setAttribute("data-testid", "kanban-board");
  root.appendChild(board);

  for (const column of data.columns) {
    const head = el("div", "kb-col-head");
    head.setAttribute("data-status", column.status);
    head.setAttribute("data-testid", "kanban-column-head");
    head.appendChild(el("span", "kb-col-title", column.label));
    const count = el("span", "kb-count" + (column.over ? " kb-over" : ""),
      column.wip ? `${column.count} / ${column.wip}` : String(column.count));
    count.title = column.wip
      ? (column.over ? `Vượt giới hạn WIP (${column.wip})` : `Giới hạn WIP: ${column.wip}`)
      : "Số công việc";
    head.appendChild(count);
    board.appendChild(head);
  }

  for (const lane of data.lanes) {
    if (data.swimlanes) {
      const title = el("div", "kb-lane-title", lane.label);
      title.setAttribute("data-testid", "kanban-lane");
      board.appendChild(title);
    }
    for (const column of data.columns) {
      const cell = lane.cells[column.status];
      const zone = el("div", "kb-cell");
      zone.setAttribute("role", "list");
      zone.setAttribute("aria-label", `${column.label}${data.swimlanes ? " – " + lane.label : ""}`);
      zone.setAttribute("data-status", column.status);
      zone.setAttribute("data-lane", String(lane.key));
      zone.setAttribute("data-testid", "kanban-cell");

      zone.addEventListener("dragover", (event) => {
        if (!dragging || dragging.lane !== lane.key || !dragging.card.targets.includes(column.status)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = "move";
        zone.classList.add("kb-drop");
      });
      zone.addEventListener("dragleave", () => zone.classList.remove("kb-drop"));
      zone.addEventListener("drop", (event) => {
        event.preventDefault();
        zone.classList.remove("kb-drop");
        if (!dragging || dragging.card.status === column.status) return;
        const { card, node } = dragging;
        dragging = null;
        node.classList.add("kb-pending");
        zone.insertBefore(node, zone.firstChild); // shown where it was dropped until Python answers
        move(card, column.status, false);
      });

      for (const card of cell.cards) {
        zone.appendChild(drawCard(card, lane, labels, {
          open: () => send("open", { id: card.id }),
          move: (to) => move(card, to, true),
          dragStart: (node) => { dragging = { card, node, lane: lane.key }; },
          dragEnd: () => { dragging = null; },
        }));
      }
      if (cell.count > cell.cards.length) {
        const more = el("button", "kb-more", `Xem thêm (${cell.cards.length}/${cell.count})`);
        more.type = "button";
        more.addEventListener("click", () => send("more", { status: column.status }));
        zone.appendChild(more);
      } else if (!cell.cards.length) {
        zone.appendChild(el("div", "kb-empty", "Không có công việc"));
      }
      board.appendChild(zone);
    }
  }

  const focusId = focusAfterRender.get(parentElement);
  if (focusId !== undefined) {
    focusAfterRender.delete(parentElement);
    const target = root.querySelector(`.kb-card[data-id="${Number(focusId)}"] .kb-title`);
    if (target) target.focus();
  }
}

function drawCard(card, lane, labels, actions) {
  const node = el("article", `kb-card kb-rag-${card.rag}`);
  node.setAttribute("role", "listitem");
  node.setAttribute("data-id", String(card.id));
  node.setAttribute("data-status", card.status);
  node.setAttribute("data-testid", "kanban-card");
  const movable = card.targets.length > 0;
  node.draggable = movable;
  if (movable) {
    node.addEventListener("dragstart", (event) => {
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", String(card.id));
      node.classList.add("kb-dragging");
      actions.dragStart(node);
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

  if (movable) {
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

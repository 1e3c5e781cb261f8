// An in-memory stand-in for chrome.bookmarks with Chromium's rules: calls take effect in
// the order they are made, events fire before the answer, bad ids and indices are refused
// with Chromium's messages, and the permanent folders cannot be changed.

export class FakeBookmarks {
  constructor() {
    this.nextId = 4;
    this.nodes = new Map();
    this.calls = 0;
    this.events = [];
    this.listeners = [];
    this.add({ id: '0', title: '', children: [] });
    for (const [id, title] of [['1', 'Bookmarks bar'], ['2', 'Other bookmarks'], ['3', 'Mobile bookmarks']]) {
      const node = { id, parentId: '0', title, children: [] };
      this.add(node);
      this.nodes.get('0').children.push(node);
    }
  }

  add(node) {
    this.nodes.set(node.id, node);
  }

  onEvent(listener) {
    this.listeners.push(listener);
  }

  emit(type, id, info) {
    this.events.push({ type, id });
    for (const listener of this.listeners) listener(type, id, info);
  }

  /** Run `work` now (the call's effect, in call order) and answer on a later turn. */
  answer(work) {
    this.calls += 1;
    let result;
    try {
      result = work();
    } catch (error) {
      return new Promise((_, reject) => setImmediate(() => reject(error)));
    }
    return new Promise((resolve) => setImmediate(() => resolve(result)));
  }

  folder(id) {
    const node = this.nodes.get(id);
    if (!node) throw new Error("Can't find parent bookmark for id.");
    if (!node.children) throw new Error('Parameter 1 is not a folder.');
    return node;
  }

  isPermanent(id) {
    return ['0', '1', '2', '3'].includes(id);
  }

  create({ parentId, index, title = '', url }) {
    return this.answer(() => {
      const parent = this.folder(parentId);
      if (parentId === '0') throw new Error("Can't modify the root bookmark folders.");
      const at = index ?? parent.children.length;
      if (at > parent.children.length) throw new Error('Index out of bounds.');
      if (url !== undefined && !/^[a-z][a-z0-9+.-]*:/i.test(url)) throw new Error('Invalid URL.');
      const node = { id: String(this.nextId++), parentId, title, ...(url === undefined ? { children: [] } : { url }) };
      this.add(node);
      parent.children.splice(at, 0, node);
      this.emit('created', node.id, { parentId, index: at, title, url });
      return { id: node.id, parentId, index: at, title, url };
    });
  }

  update(id, changes) {
    return this.answer(() => {
      const node = this.nodes.get(id);
      if (!node) throw new Error("Can't find bookmark for id.");
      if (this.isPermanent(id)) throw new Error("Can't modify the root bookmark folders.");
      // Like Chromium: the title, then the url, each with its own event.
      for (const key of ['title', 'url']) {
        if (changes[key] === undefined || changes[key] === node[key]) continue;
        node[key] = changes[key];
        this.emit('changed', id, { [key]: changes[key] });
      }
      return { id };
    });
  }

  move(id, { parentId, index }) {
    return this.answer(() => {
      const node = this.nodes.get(id);
      if (!node) throw new Error("Can't find bookmark for id.");
      if (this.isPermanent(id)) throw new Error("Can't modify the root bookmark folders.");
      const parent = this.folder(parentId);
      const old = this.folder(node.parentId);
      old.children.splice(old.children.indexOf(node), 1);
      const at = index ?? parent.children.length;
      if (at > parent.children.length) {
        old.children.push(node);
        throw new Error('Index out of bounds.');
      }
      parent.children.splice(at, 0, node);
      node.parentId = parentId;
      this.emit('moved', id, { parentId, index: at });
      return { id };
    });
  }

  removeTree(id) {
    return this.answer(() => {
      const node = this.nodes.get(id);
      if (!node) throw new Error("Can't find bookmark for id.");
      if (this.isPermanent(id)) throw new Error("Can't modify the root bookmark folders.");
      const parent = this.nodes.get(node.parentId);
      parent.children.splice(parent.children.indexOf(node), 1);
      const forget = (gone) => {
        this.nodes.delete(gone.id);
        for (const child of gone.children ?? []) forget(child);
      };
      forget(node);
      this.emit('removed', id, {});
    });
  }

  /** The titles under a folder, nested as [title, [children…]] for folders. */
  outline(id) {
    return this.nodes.get(id).children.map((child) => (child.children ? [child.title, this.outline(child.id)] : child.title));
  }
}

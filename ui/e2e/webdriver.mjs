// A small W3C WebDriver client over fetch: enough to drive the real window through tauri-driver.
const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
export const KEY = { ctrl: "\uE009", null: "\uE000", enter: "\uE007", backspace: "\uE003" };

export class Session {
  static async start(driverUrl, application) {
    const res = await fetch(`${driverUrl}/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        capabilities: { alwaysMatch: { browserName: "wry", "tauri:options": { application } } },
      }),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(`new session failed: ${JSON.stringify(body)}`);
    return new Session(driverUrl, body.value.sessionId);
  }

  constructor(driverUrl, id) {
    this.base = `${driverUrl}/session/${id}`;
  }

  async cmd(method, path, body) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json();
    if (!res.ok) {
      const err = new Error(`${method} ${path}: ${json.value?.error} ${json.value?.message}`);
      err.code = json.value?.error;
      throw err;
    }
    return json.value;
  }

  async find(css) {
    const v = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return v[ELEMENT];
  }

  /** Waits until `css` matches (the bundle and IPC answers arrive asynchronously). */
  async waitFor(css, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return await this.find(css);
      } catch (e) {
        if (e.code !== "no such element" || Date.now() > deadline) {
          throw new Error(`waiting for ${css}: ${e.message}`, { cause: e });
        }
      }
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** Waits until `fn` (run in the page) returns something truthy, and returns it. */
  async waitUntil(fn, args = [], timeoutMs = 15000, what = "a condition") {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.cmd("POST", "/execute/sync", { script: `return (${fn})(...arguments)`, args });
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Runs async `fn` in the page and returns what it resolves to (or `{ rejected }`). */
  evalAsync(fn, args = []) {
    return this.cmd("POST", "/execute/async", {
      script: `const done = arguments[arguments.length - 1];
        Promise.resolve((${fn})(...Array.from(arguments).slice(0, -1))).then(done, (e) => done({ rejected: e }));`,
      args,
    });
  }

  /**
   * Every row of the virtualized grid inside `css` that carries `data-<attr>`: the grid draws
   * only the rows in view, so it is scrolled from top to bottom, a viewport at a time.
   * Returns `[value of data-<attr>, text of the row's last cell]` per row, in order.
   */
  gridRows(css, attr) {
    return this.evalAsync(
      async (css, attr) => {
        const body = document.querySelector(`${css} .grid-body`);
        if (!body) return [];
        const seen = new Map();
        const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        body.scrollTop = 0;
        await frame();
        for (;;) {
          for (const row of body.querySelectorAll(`[role=row][data-${attr}]`)) {
            seen.set(Number(row.getAttribute("aria-rowindex")), [row.dataset[attr], row.lastElementChild?.textContent ?? ""]);
          }
          if (body.scrollTop + body.clientHeight >= body.scrollHeight - 1) break;
          body.scrollTop += body.clientHeight;
          await frame();
        }
        return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([, row]) => row);
      },
      [css, attr],
    );
  }

  click(el) {
    return this.cmd("POST", `/element/${el}/click`, {});
  }

  /**
   * Runs `action` on the element `css` finds, finding it afresh and trying again while the
   * page re-renders under it (a stale reference, or an element not yet interactable): screens
   * that poll replace their rows every few seconds.
   */
  async withFresh(css, action, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const el = await this.waitFor(css, Math.max(deadline - Date.now(), 0));
      try {
        return await action(el);
      } catch (e) {
        const retry = ["stale element reference", "element not interactable", "element click intercepted"];
        if (!retry.includes(e.code) || Date.now() > deadline) throw e;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Clicks what `css` finds, found afresh (see `withFresh`). */
  clickOn(css, timeoutMs) {
    return this.withFresh(css, (el) => this.click(el), timeoutMs);
  }

  type(el, text) {
    return this.cmd("POST", `/element/${el}/value`, { text });
  }

  /** Replaces the content of an input: select all, then type. */
  async fill(css, text) {
    await this.withFresh(css, async (el) => {
      await this.click(el);
      await this.type(el, `${KEY.ctrl}a${KEY.null}${KEY.backspace}`);
      if (text !== "") await this.type(el, text);
    });
  }

  text(css, timeoutMs) {
    return this.withFresh(css, (el) => this.cmd("GET", `/element/${el}/text`), timeoutMs);
  }

  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  async end() {
    await fetch(this.base, { method: "DELETE" }).catch(() => {});
  }
}

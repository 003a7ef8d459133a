namespace Kivi.Server.Dashboard;

/// <summary>The dashboard's stylesheet and its one small script, served from the node itself (the CSP allows nothing else).</summary>
internal static class DashboardAssets
{
    public const string Css = """
        :root { --fg: #1d1f23; --muted: #5c6370; --line: #d7dbe0; --accent: #0b57d0; --danger: #b3261e; --bg: #fff; --soft: #f4f6f8; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: var(--soft); }
        header a.brand { font-weight: 700; color: var(--fg); text-decoration: none; }
        header nav { display: flex; gap: 1rem; flex-wrap: wrap; }
        header .who { margin-left: auto; color: var(--muted); display: flex; gap: .5rem; align-items: center; }
        main { padding: 1rem; max-width: 1200px; }
        h1 { font-size: 1.35rem; margin: .2rem 0 1rem; }
        h2 { font-size: 1.1rem; margin: 1.5rem 0 .6rem; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
        th { font-weight: 600; color: var(--muted); }
        code, .mono { font-family: ui-monospace, monospace; font-size: .9em; }
        form.inline { display: inline; }
        .row { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin: .5rem 0; }
        label { display: flex; flex-direction: column; gap: .2rem; font-size: .9rem; color: var(--muted); }
        input, textarea, select, button { font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 4px; color: var(--fg); background: #fff; }
        textarea { width: 100%; min-height: 14rem; font-family: ui-monospace, monospace; }
        textarea.short { min-height: 4rem; }
        progress { width: 100%; max-width: 40rem; height: 1rem; }
        button, .button { cursor: pointer; background: var(--accent); color: #fff; border-color: var(--accent); text-decoration: none; padding: .35rem .8rem; border-radius: 4px; display: inline-block; }
        button.secondary, .button.secondary { background: #fff; color: var(--accent); }
        button.danger { background: var(--danger); border-color: var(--danger); }
        :focus-visible { outline: 3px solid #f9ab00; outline-offset: 2px; }
        .notice { padding: .6rem .8rem; border-radius: 4px; background: #e8f0fe; margin: .6rem 0; }
        .error { padding: .6rem .8rem; border-radius: 4px; background: #fce8e6; color: var(--danger); margin: .6rem 0; }
        .muted { color: var(--muted); }
        .empty { padding: 1rem; color: var(--muted); }
        figure { margin: .4rem 0 1rem; }
        @media (max-width: 600px) {
          main { padding: .6rem; }
          table.responsive thead { display: none; }
          table.responsive tr { display: block; border-bottom: 1px solid var(--line); padding: .3rem 0; }
          table.responsive td { display: block; border: 0; padding: .15rem .3rem; }
          table.responsive td::before { content: attr(data-label) ": "; color: var(--muted); }
        }
        """;

    /// <summary>Copy buttons (<c>data-copy</c>) and confirmations (<c>data-confirm</c>); everything works without it but copying.</summary>
    public const string Script = """
        document.addEventListener('click', async e => {
          const copy = e.target.closest('[data-copy]');
          if (copy) { e.preventDefault(); await navigator.clipboard.writeText(copy.getAttribute('data-copy')); copy.textContent = 'Copied'; }
        });
        document.addEventListener('click', async e => {
          const more = e.target.closest('a[data-append]');
          if (!more) return;
          e.preventDefault();
          const page = new DOMParser().parseFromString(await (await fetch(more.href, { credentials: 'same-origin' })).text(), 'text/html');
          const table = more.getAttribute('data-append');
          for (const row of page.querySelectorAll('#' + table + ' tbody tr')) document.querySelector('#' + table + ' tbody').append(row);
          const next = page.querySelector('a[data-append]');
          if (next) more.href = next.href; else more.remove();
        });
        const watched = document.querySelector('[data-watch]');
        if (watched) {
          const body = watched.querySelector('tbody');
          const source = new EventSource(watched.getAttribute('data-watch'));
          source.addEventListener('change', e => {
            const c = JSON.parse(e.data);
            const row = document.createElement('tr');
            for (const [label, text] of [['Time', new Date().toISOString().slice(11, 23)], ['Key', c.key ?? ''], ['Change', c.kind], ['Version', String(c.version)]]) {
              const cell = document.createElement('td'); cell.dataset.label = label; cell.textContent = text; row.append(cell);
            }
            body.prepend(row);
            document.getElementById('watch-status').textContent = 'Watching: ' + body.rows.length + ' change(s) so far.';
          });
          source.addEventListener('open', () => { document.getElementById('watch-status').textContent = 'Watching: changes appear here as they happen.'; });
          source.addEventListener('error', () => { document.getElementById('watch-status').textContent = 'Reconnecting…'; });
        }
        document.addEventListener('submit', e => {
          const question = e.target.getAttribute('data-confirm');
          if (question && !confirm(question)) e.preventDefault();
        });
        const importer = document.querySelector('form[data-import]');
        if (importer) importer.addEventListener('submit', async e => {
          e.preventDefault();
          const status = document.getElementById('import-status'), bar = document.getElementById('import-progress'), button = importer.querySelector('button');
          const say = (text, failed) => { status.textContent = text; status.classList.toggle('error', !!failed); };
          button.disabled = true;
          try {
            const text = await importer.querySelector('input[type=file]').files[0].text();
            let items = [];
            if (text.trimStart().startsWith('[')) {
              try { items = JSON.parse(text); } catch (x) { throw new Error('Nothing was imported: the file is not valid JSON (' + x.message + ').'); }
            } else {
              const lines = text.split('\n');
              for (let i = 0; i < lines.length; i++) {
                if (!lines[i].trim()) continue;
                try { items.push(JSON.parse(lines[i])); } catch (x) { throw new Error('Nothing was imported: line ' + (i + 1) + ' is not JSON (' + x.message + ').'); }
              }
            }
            const bad = items.findIndex(i => !i || typeof i !== 'object' || Array.isArray(i) || !('key' in i));
            if (bad >= 0) throw new Error('Nothing was imported: item ' + (bad + 1) + ' is not a bulk item (it needs a "key" and a "value").');
            const form = importer.querySelector('input[name=__kivi_form]').value, maxKeys = +importer.dataset.batchKeys, maxBytes = +importer.dataset.batchBytes;
            bar.max = Math.max(1, items.length); bar.value = 0;
            let done = 0;
            while (done < items.length) {
              const parts = []; let bytes = 2, end = done;
              for (; end < items.length && end - done < maxKeys; end++) {
                const item = JSON.stringify(items[end]);
                if (end > done && bytes + item.length + 1 > maxBytes) break;
                parts.push(item); bytes += item.length + 1;
              }
              const answer = await fetch(importer.action, { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json', 'X-Kivi-Form': form }, body: '[' + parts.join(',') + ']' });
              let result = {};
              try { result = await answer.json(); } catch { }
              if (!answer.ok) throw new Error('Stopped after ' + done.toLocaleString('en') + ' of ' + items.length.toLocaleString('en') + ' keys (those are stored): in the batch from item ' + (done + 1) + ', ' + (result.error || answer.status + ' ' + answer.statusText));
              done = end; bar.value = done;
              say('Imported ' + done.toLocaleString('en') + ' of ' + items.length.toLocaleString('en') + ' keys.');
            }
            say('Done: imported ' + done.toLocaleString('en') + ' keys.');
          } catch (x) { say(x.message, true); }
          finally { button.disabled = false; }
        });
        """;
}

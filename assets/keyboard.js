// Keyboard and focus rules the components cannot express on their own; installed once.
// - Enter in a typed date box applies it as leaving the box does (its on_blur sends the text).
// - An open call (the panel beside /calls, or the full-screen sheet on a phone) takes the
//   focus and its row is scrolled into view; Escape closes it, and the focus goes back to the call's row or card. While the
//   phone's sheet is open the page behind it is inert and Tab goes round the sheet.
(() => {
  if (window.__keyboardInstalled) return;
  window.__keyboardInstalled = true;
  const phone = window.matchMedia('(max-width: 767.98px)');
  const overlayOpen = () =>
    document.querySelector('[data-radix-popper-content-wrapper], [role=dialog][data-state=open]');

  const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([tabindex="-1"]),' +
    ' select:not([disabled]), textarea:not([disabled]), audio[controls], [tabindex="0"]';
  // Tab at the sheet's last control comes back to its first (and Shift+Tab the other way).
  const wrapTab = (e) => {
    const sheet = phone.matches && document.querySelector('.calls-panel[data-open=true]');
    if (!sheet) return;
    const items = [...sheet.querySelectorAll(FOCUSABLE)].filter((el) => el.offsetParent !== null);
    if (!items.length) return;
    const [first, last] = [items[0], items[items.length - 1]];
    const inside = sheet.contains(document.activeElement);
    if (e.shiftKey && (!inside || document.activeElement === first)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (!inside || document.activeElement === last)) {
      e.preventDefault();
      first.focus();
    }
  };

  document.addEventListener('keydown', (e) => {
    if (e.key === 'Tab') {
      wrapTab(e);
    } else if (e.key === 'Enter' && e.target.dataset && e.target.dataset.dateText) {
      e.preventDefault();
      e.target.blur();
    } else if (e.key === 'Escape' && !e.defaultPrevented && !overlayOpen()) {
      const close = document.querySelector('.calls-panel[data-open=true] #call-close');
      if (close) {
        e.preventDefault();
        close.click();
      }
    }
  });

  let openCall = null; // the id of the call whose panel is open
  let revealed = false; // its row has been scrolled into view beside the panel
  // Beside the list (not under a phone's sheet) the open call's row is in view, also when
  // the page opens at /calls/{id} and the rows arrive after the panel.
  const reveal = () => {
    const row = document.querySelector(`.call-row[data-call-id="${openCall}"]`);
    if (phone.matches || row) revealed = true;
    if (row && !phone.matches) row.scrollIntoView({block: 'center'});
  };
  let inert = []; // what the phone's sheet made inert
  const release = () => {
    inert.forEach((el) => { el.inert = false; });
    inert = [];
  };
  const holdFocus = (panel) => {
    release();
    if (!phone.matches) return;
    for (let el = panel; el && el.parentElement && el !== document.body; el = el.parentElement) {
      for (const sibling of el.parentElement.children) {
        if (sibling !== el && !sibling.inert && sibling.tagName !== 'SCRIPT') {
          sibling.inert = true;
          inert.push(sibling);
        }
      }
    }
  };
  const sync = () => {
    const detail = document.querySelector('.calls-panel[data-open=true] #call-detail');
    const id = detail ? detail.dataset.callId : null;
    if (id === openCall) {
      if (id && !revealed) reveal();
      return;
    }
    const was = openCall;
    openCall = id;
    if (id) {
      holdFocus(detail.closest('.calls-panel'));
      const heading = detail.querySelector('#call-heading');
      if (heading) heading.focus({preventScroll: true});
      revealed = false;
      reveal();
    } else {
      release();
      const back = [...document.querySelectorAll(
        `[data-testid=call-row][data-call-id="${was}"] a,` +
        ` [data-testid=call-card][data-call-id="${was}"] a`,
      )].find((a) => a.offsetParent !== null);
      if (back) back.focus({preventScroll: true});
    }
  };
  new MutationObserver(sync).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true,
    attributeFilter: ['data-open', 'data-call-id'],
  });
  phone.addEventListener('change', () => { if (openCall) { openCall = null; sync(); } });
})();

// The composers' file handling, installed once per page load, before anyone can paste.
// Pasting files into a composer feeds them to its upload input (react-dropzone handles the
// input's change event like a drop). Picked and dropped files' names and sizes are noted
// for the per-file progress bars.
(() => {
  if (window.__uploadMeta) return;
  window.__uploadMeta = {};
  const noteFiles = (zone, files) => {
    if (zone && files && files.length) {
      window.__uploadMeta[zone.id] = [...files].map((f) => ({name: f.name, size: f.size}));
    }
  };
  document.addEventListener('change', (e) => {
    noteFiles(e.target.closest && e.target.closest('[data-upload-zone]'), e.target.files);
  }, true);
  document.addEventListener('drop', (e) => {
    const zone = e.target.closest && e.target.closest('[data-upload-zone]');
    noteFiles(zone, e.dataTransfer && e.dataTransfer.files);
  }, true);
  // The camera button's input (capture="environment") feeds its photo to the upload's input.
  document.addEventListener('change', (e) => {
    const camera = e.target.dataset && e.target.dataset.cameraFor;
    if (!camera || !e.target.files.length) return;
    const input = document.querySelector('#' + camera + ' input[type=file]');
    if (!input) return;
    const files = new DataTransfer();
    for (const f of e.target.files) files.items.add(f);
    input.files = files.files;
    input.dispatchEvent(new Event('change', {bubbles: true}));
    e.target.value = '';
  });
  // A dropzone's own file input has no label: it takes its zone's (for screen readers).
  const nameInputs = () => {
    for (const zone of document.querySelectorAll('[data-upload-zone][data-file-label]')) {
      const input = zone.querySelector('input[type=file]');
      if (input && !input.hasAttribute('aria-label')) {
        input.setAttribute('aria-label', zone.dataset.fileLabel);
      }
    }
  };
  new MutationObserver(nameInputs).observe(document.documentElement, {childList: true, subtree: true});
  document.addEventListener('paste', (e) => {
    const box = e.target.closest && e.target.closest('[data-paste-upload]');
    if (!box || !e.clipboardData || !e.clipboardData.files.length) return;
    const input = document.querySelector('#' + box.dataset.pasteUpload + ' input[type=file]');
    if (!input) return;
    const files = new DataTransfer();
    for (const f of e.clipboardData.files) files.items.add(f);
    input.files = files.files;
    input.dispatchEvent(new Event('change', {bubbles: true}));
    e.preventDefault();
  });
})();

// The page's only style and script, inlined (the page loads nothing: the CSP allows inline style
// and script, and data: images, nothing else). The script filters stack groups by function name:
// each group carries its function names in `data-f`, lower-cased, so a filter is one pass of
// `includes` over a few hundred strings, without touching the frames' DOM.
export const STYLE = `
:root{--fg:#1d1d1f;--muted:#6b6b70;--line:#e3e3e8;--bg:#fff;--soft:#f6f6f8;--hi:#fff3bf;--bad:#b3261e;--ok:#1e7b34;--warn:#8a5a00;--app:#0b57d0}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1200px;margin:0 auto;padding:16px 24px 64px}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:17px;margin:28px 0 8px;padding-top:8px;border-top:1px solid var(--line)}h3{font-size:14px;margin:14px 0 6px}
.muted{color:var(--muted)}.small{font-size:12px}
nav a{margin-right:12px}
.verdict{padding:12px 14px;border-radius:8px;background:var(--soft);border-left:6px solid var(--muted);margin:10px 0}
.verdict.high{border-color:var(--bad)}.verdict.medium{border-color:var(--warn)}
.verdict .headline{font-size:17px;font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;background:var(--line);margin-right:6px}
.badge.high{background:#fbd5d3}.badge.medium{background:#fde7b0}.badge.low{background:var(--line)}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{text-align:left;padding:3px 10px 3px 0;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted)}td.n,th.n{text-align:right}
code,.mono{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.figures{display:flex;flex-wrap:wrap;gap:10px}.figure{background:var(--soft);border-radius:8px;padding:8px 12px;min-width:140px}.figure b{display:block;font-size:18px}
.group{border:1px solid var(--line);border-radius:8px;margin:8px 0;padding:8px 10px}
.group.leak{border-left:5px solid var(--bad)}.group.victim{border-left:5px solid var(--warn)}
.group .head{font-weight:600}.group .labels code{background:var(--soft);padding:0 4px;border-radius:4px}
.frames{margin:6px 0 0;padding:0;list-style:none}
.frames li{padding:1px 0;white-space:pre-wrap;word-break:break-all;color:var(--muted)}
.frames li.app{color:var(--app);font-weight:600}
.frames li.signature{color:var(--bad)}
.frames .culprit{background:var(--hi);font-weight:700;color:var(--fg);outline:1px solid #e0c200;border-radius:3px}
.frames i{font-style:normal;font-weight:400;color:var(--muted)}
details.fold>summary{cursor:pointer;color:var(--muted);font-size:12px;list-style:none}
details.fold>summary::before{content:'\\25B8  '}details.fold[open]>summary::before{content:'\\25BE  '}
details.fold ul{margin-left:14px}
.filter{position:sticky;top:0;background:var(--bg);padding:8px 0;z-index:1;border-bottom:1px solid var(--line)}
.filter input{font:inherit;padding:5px 8px;width:360px;max-width:100%;border:1px solid #c7c7cc;border-radius:6px}
[hidden]{display:none!important}
.timeline td:first-child{white-space:nowrap}
img.graph{max-width:100%;border:1px solid var(--line);border-radius:6px}
.gap{color:var(--warn)}
`;

export const SCRIPT = `
(function(){
  var input=document.getElementById('stack-filter');
  if(!input)return;
  var groups=Array.prototype.slice.call(document.querySelectorAll('.sg'));
  var count=document.getElementById('stack-count');
  function apply(){
    var q=input.value.trim().toLowerCase();
    var shown=0;
    for(var i=0;i<groups.length;i++){
      var g=groups[i];
      var hit=!q||g.getAttribute('data-f').indexOf(q)>=0;
      g.hidden=!hit;
      if(hit){shown++;if(q){var d=g.querySelectorAll('details.fold');for(var j=0;j<d.length;j++){if(d[j].textContent.toLowerCase().indexOf(q)>=0)d[j].open=true;}}}
    }
    if(count)count.textContent=q?shown+' of '+groups.length+' groups match':groups.length+' groups';
  }
  input.addEventListener('input',apply);
  function fromHash(){if(location.hash.indexOf('#f=')===0){input.value=decodeURIComponent(location.hash.slice(3));apply();input.scrollIntoView();}}
  window.addEventListener('hashchange',fromHash);
  apply();fromHash();
})();
`;

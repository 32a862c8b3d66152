// Live updates for the newest-tweets page: new cards arrive by server-sent events (rendered and
// escaped by the server), and relative times tick. Without JavaScript the page still pages.
const feed = document.getElementById('feed');
const status = document.getElementById('live-status');
const MAX_CARDS = 100;

// Same steps as src/relative-time.ts.
const UNITS = [[60, 1, 's'], [3600, 60, 'min'], [86400, 3600, 'h'], [7 * 86400, 86400, 'd']];
function relativeTime(date, now) {
  const seconds = Math.max(0, Math.floor((now - date) / 1000));
  for (const [limit, size, suffix] of UNITS) {
    if (seconds < limit) return `${Math.floor(seconds / size)} ${suffix} ago`;
  }
  return date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

function refreshTimes() {
  const now = Date.now();
  for (const time of document.querySelectorAll('time[data-relative]')) {
    time.textContent = relativeTime(new Date(time.dateTime), now);
  }
}

function showStatus(state, text) {
  if (!status) return;
  status.hidden = false;
  status.dataset.state = state;
  status.textContent = text;
}

function addCard({ html, createdAt }) {
  const template = document.createElement('template');
  template.innerHTML = html;
  const card = template.content.firstElementChild;
  if (!card || document.getElementById(card.id)) return;
  card.classList.add('is-new');
  feed.prepend(card);
  document.getElementById('empty')?.remove();
  while (feed.children.length > MAX_CARDS) feed.lastElementChild.remove();
  updateFreshness(createdAt);
}

// The banner's "Newest tweet … ago" follows live tweets; on a page opened on an empty replica it
// replaces "No tweets in this region's replica yet".
function updateFreshness(createdAt) {
  let newest = document.getElementById('newest-time');
  if (!newest) {
    const line = document.getElementById('freshness');
    if (!line) return;
    newest = document.createElement('time');
    newest.id = 'newest-time';
    newest.dataset.relative = '';
    line.replaceChildren('Newest tweet ', newest);
  } else if (createdAt <= newest.dateTime) {
    return;
  }
  newest.dateTime = createdAt;
  newest.title = `${createdAt.slice(0, 19).replace('T', ' ')} UTC`;
}

// The browser reconnects by itself after a dropped stream (sending Last-Event-ID), but gives up
// when the server answers with an error (503 while the database is down): then retry here,
// from the last tweet received.
function listen(since) {
  const source = new EventSource(since ? `/events?since=${encodeURIComponent(since)}` : '/events');
  source.addEventListener('open', () => showStatus('live', 'Live'));
  source.addEventListener('tweet', (event) => {
    since = event.lastEventId;
    addCard(JSON.parse(event.data));
    refreshTimes();
  });
  source.addEventListener('error', () => {
    showStatus('reconnecting', 'Reconnecting…');
    if (source.readyState === EventSource.CLOSED) setTimeout(() => listen(since), 5000);
  });
}

if (feed && feed.hasAttribute('data-live') && 'EventSource' in window) listen(feed.dataset.since);

setInterval(refreshTimes, 5000);

// Live updates for the newest-tweets page: new cards arrive by server-sent events (rendered and
// escaped by the server) and take their place by time, and relative times tick. Without JavaScript
// the page still pages.
// relative-time.js is @kubeonazure/relative-time as built: the server formats the same times with it.
import { exactUtc, relativeTime } from './relative-time.js';

const feed = document.getElementById('feed');
const status = document.getElementById('live-status');
const MAX_CARDS = 100;

function refreshTimes() {
  const now = new Date();
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
  // A tweet stored late (a gap fill) can be older than cards shown: it goes where its time puts it.
  // ISO times of one format compare as strings.
  const older = [...feed.children].find((shown) => (shown.querySelector('time')?.dateTime ?? '') < createdAt);
  if (older) feed.insertBefore(card, older);
  else feed.append(card);
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
  newest.title = exactUtc(new Date(createdAt));
}

// The stream is read with fetch, not EventSource: EventSource hides the status and headers of a
// refused stream, and a 503 (the database is down, or this pod or address has its maximum of streams
// open) says in Retry-After when to come back. A stream the server ends (its maximum age, a rollout)
// is resumed after its `retry:` delay from the last tweet received, maybe on another pod.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The events of a text/event-stream body: { id, event, data, retry } (comments skipped). */
async function* serverSentEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const event = {};
      for (const line of buffer.slice(0, end).split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        event[field] = field === 'data' && event.data !== undefined ? `${event.data}\n${text}` : text;
      }
      buffer = buffer.slice(end + 2);
      yield event;
    }
  }
}

async function listen(since) {
  let retryMs = 3000;
  for (;;) {
    let waitMs = retryMs;
    try {
      const response = await fetch(since ? `/events?since=${encodeURIComponent(since)}` : '/events', {
        cache: 'no-store',
      });
      if (response.ok && response.body) {
        showStatus('live', 'Live');
        for await (const event of serverSentEvents(response.body)) {
          if (event.retry) retryMs = Number(event.retry) || retryMs;
          if (event.event !== 'tweet' || !event.data) continue;
          since = event.id;
          addCard(JSON.parse(event.data));
          refreshTimes();
        }
        waitMs = retryMs;
      } else {
        await response.body?.cancel();
        const retryAfter = Number(response.headers.get('retry-after'));
        waitMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 5000;
      }
    } catch {
      waitMs = 5000;
    }
    // Up to a fifth more, so that the clients of a restarted pod do not all come back at once.
    waitMs *= 1 + Math.random() / 5;
    showStatus('reconnecting', `Reconnecting in ${Math.ceil(waitMs / 1000)} s…`);
    await sleep(waitMs);
  }
}

if (feed?.hasAttribute('data-live') && 'fetch' in window) void listen(feed.dataset.since);

setInterval(refreshTimes, 5000);

// Every htmx request carries the CSRF token from the page's meta tag.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});

// An htmx request refused or failed (htmx-config in base.html swaps the portal's
// explanation into #problem): show the box, and untick or tick again a checkbox the
// person changed, for the change did not happen.
const problemBox = () => document.getElementById("problem-box");
const problem = () => document.getElementById("problem");

function showProblem(event) {
  problemBox().hidden = false;
  const element = event.detail.elt;
  if (element instanceof HTMLInputElement && element.type === "checkbox") {
    element.checked = !element.checked;
  }
}

function closeProblem() {
  problemBox().hidden = true;
  problem().replaceChildren();
}

// A refusal explains itself where the person acted: the server retargets it there
// (HX-Retarget), away from #problem. Swapped like any answer, it is no problem to show,
// and the swapped element shows what is saved, so nothing is flipped back.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.isError && event.detail.target !== problem()) event.detail.isError = false;
});

document.addEventListener("htmx:responseError", showProblem);

document.addEventListener("htmx:sendError", (event) => {
  // No answer at all: the portal (or the connection) is down.
  const message = document.createElement("p");
  message.setAttribute("role", "alert");
  message.textContent = problemBox().dataset.unreachable;
  problem().replaceChildren(message);
  showProblem(event);
});

document.addEventListener("htmx:afterRequest", (event) => {
  if (event.detail.successful && event.detail.target !== problem()) closeProblem();
});

document.addEventListener("click", (event) => {
  if (event.target.id === "problem-close") closeProblem();
});

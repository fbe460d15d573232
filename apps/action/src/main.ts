/**
 * The one bundled entry (dist/index.js) for both steps of action.yml: the post step is told
 * apart by the state main saves first thing. Whatever is thrown ends in `setFailed` with a
 * message that holds no value.
 */
import * as core from "@actions/core";
import { failureMessage } from "./errors.js";
import { runMain } from "./main-step.js";
import { runPost } from "./post.js";
import { isPost } from "./state.js";

try {
  await (isPost() ? runPost() : runMain());
} catch (error) {
  core.setFailed(failureMessage(error));
}

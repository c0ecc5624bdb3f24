// narrow-zh.test.mjs -- every page and state at 360 px in Chinese (narrow.lib.mjs).
import { narrowSuite } from './narrow.lib.mjs';

narrowSuite(['zh']);

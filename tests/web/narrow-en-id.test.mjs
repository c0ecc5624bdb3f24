// narrow-en-id.test.mjs -- every page and state at 360 px in English and Indonesian (narrow.lib.mjs).
import { narrowSuite } from './narrow.lib.mjs';

narrowSuite(['en', 'id']);

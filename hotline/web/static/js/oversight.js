// Social supervisors (社会监督员, Art. 34): the figures and their exports, read-only.
import { startFigures } from "./figures.js";
import { initLayout } from "./ui.js";

initLayout();
startFigures();

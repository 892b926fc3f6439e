import './index.css';
import './history.css';
import './replay-report.css';
import './lineage.css';
